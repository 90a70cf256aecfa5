package main

import "testing"

func TestCount(t *testing.T) {
	for n, want := range map[int]string{0: "0 retries", 1: "1 retry", 2: "2 retries"} {
		if got := count(n, "retry"); got != want {
			t.Errorf("count(%d, retry) = %q, want %q", n, got, want)
		}
	}
	if got := count(1, "page") + ", " + count(3, "page"); got != "1 page, 3 pages" {
		t.Errorf("got %q", got)
	}
}
