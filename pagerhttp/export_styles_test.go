package pagerhttp

// HeaderTotal is the total a response's headers report.
var HeaderTotal = headerTotal
