module github.com/pagerseq/pager

go 1.23.0

require (
	go.uber.org/goleak v1.3.0
	golang.org/x/sync v0.16.0
)
