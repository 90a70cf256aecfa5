// Package jsonbench benchmarks the NDJSON source with a faster JSON library
// plugged in through pager.DecodeWith. It is a module of its own, so that
// importers of pager do not depend on that library: see BENCHMARKS.md.
package jsonbench
