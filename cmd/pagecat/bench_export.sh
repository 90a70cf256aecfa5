#!/usr/bin/env bash
# The "pagecat export" benchmark of BENCHMARKS.md: N records (default
# 1,000,000) from a local apisim server, exported three ways in the same
# run: pagecat -o FILE -jq .id, plain pagecat -o FILE, and a bash loop of
# curl per page piped to jq, as `gh api --paginate` users write. Prints one
# line per way: wall time, client CPU time (user+sys of the client and its
# children; the server's is not counted), records/s, CPU per record, and
# the largest process's peak RSS. Needs curl, jq and GNU time.
# Run from cmd/pagecat.
set -euo pipefail
N=${N:-1000000}
PAGE=1000 # the simulator's largest page on /runs
work=$(mktemp -d)
trap 'kill "$server" 2>/dev/null || true; rm -rf "$work"' EXIT

go build -o "$work/pagecat" .
go -C ../.. build -o "$work/apisim" ./internal/apisim/cmd/apisim
"$work/apisim" -n "$N" > "$work/url" &
server=$!
for _ in $(seq 50); do [[ -s $work/url ]] && break; sleep 0.1; done
url=$(cat "$work/url")/runs

measure() { # name, command...: runs the command, checks the output, prints a row
	local name=$1; shift
	/usr/bin/time -f '%e %U %S %M' -o "$work/time" "$@" > /dev/null
	read -r wall user sys rss < "$work/time"
	lines=$(wc -l < "$work/out")
	[[ $lines == "$N" ]] || { echo "$name: $lines lines, want $N" >&2; exit 1; }
	awk -v n="$name" -v w="$wall" -v u="$user" -v s="$sys" -v m="$rss" -v N="$N" \
		'BEGIN { printf "| %s | %.2f s | %.2f s | %.0f | %.1f µs | %.0f MiB |\n", n, w, u+s, N/w, (u+s)*1e6/N, m/1024 }'
	rm -f "$work/out" "$work/out.pagecat.json"
}

echo "| export of $N records | wall | CPU (user+sys) | records/s | CPU per record | max RSS |"
echo "|---|---:|---:|---:|---:|---:|"
measure "pagecat -o FILE -jq .id" "$work/pagecat" -progress never -page-size $PAGE -o "$work/out" -jq .id "$url"
measure "pagecat -o FILE" "$work/pagecat" -progress never -page-size $PAGE -o "$work/out" "$url"
measure "bash: curl per page, jq .runs[].id" bash -c '
	for ((off = 0; off < '"$N"'; off += '"$PAGE"')); do
		curl -sf "'"$url"'?limit='"$PAGE"'&offset=$off" | jq -c ".runs[].id"
	done > "'"$work/out"'"'
