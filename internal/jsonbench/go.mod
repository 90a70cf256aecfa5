module github.com/pagerseq/pager/internal/jsonbench

go 1.23.0

require github.com/pagerseq/pager v0.0.0

require (
	github.com/goccy/go-json v0.12.0
	golang.org/x/sync v0.16.0 // indirect
)

replace github.com/pagerseq/pager => ../..
