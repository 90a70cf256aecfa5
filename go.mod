module github.com/pagerseq/pager

go 1.23.0
