module github.com/pagerseq/pager/cmd/pagecat

go 1.24.0

require (
	github.com/google/go-cmp v0.7.0
	github.com/itchyny/gojq v0.12.20
	github.com/pagerseq/pager v0.0.0
	go.uber.org/goleak v1.3.0
)

require (
	github.com/itchyny/timefmt-go v0.1.9 // indirect
	golang.org/x/sync v0.16.0 // indirect
)

replace github.com/pagerseq/pager => ../..
