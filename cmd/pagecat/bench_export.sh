#!/usr/bin/env bash
# The export benchmarks of BENCHMARKS.md. Each client runs in a process of
# its own against a local apisim server (internal/apisim/cmd/apisim,
# /runs, pages of 1000, its largest) in another, so that the CPU time
# measured, user+sys from GNU time, is the client's alone (children
# included: curl and jq for the bash loop); the server's is not counted.
# The contenders are interleaved (A B C A B C …) for ROUNDS rounds
# (default 5), and every run's output is checked. Needs curl, jq and GNU
# time. Run from cmd/pagecat:
#
#	./bench_export.sh clients   # pagecat and OffsetFetch against the hand loop
#	./bench_export.sh prefetch  # the same with -prefetch 4, the server adding 5 ms a page
#	./bench_export.sh jq        # pagecat -o FILE -jq .id against curl per page + jq
#
# It prints a row per run (raw, to keep), then a table of medians, with the
# smallest and largest value of each column, and the ratios to the first
# contender in the same round. With BEFORE set to another pagecat binary
# (built at an older commit), the clients and jq suites run it too; with
# ONLY set to a regular expression (grep -E), only the contenders whose
# names match it run.
set -euo pipefail
suite=${1:?usage: bench_export.sh clients|prefetch|jq}
N=${N:-1000000}
ROUNDS=${ROUNDS:-5}
PAGE=1000
LATENCY=0s
[[ $suite == prefetch ]] && LATENCY=${LATENCY_PER_PAGE:-5ms}
work=$(mktemp -d)
server=
trap '[[ -n $server ]] && kill "$server" 2>/dev/null; rm -rf "$work"' EXIT

go build -o "$work/pagecat" .
go -C ../.. build -o "$work/apisim" ./internal/apisim/cmd/apisim
go -C ../.. build -o "$work/pageclient" ./internal/apisim/cmd/pageclient
"$work/apisim" -n "$N" -latency "$LATENCY" > "$work/url" &
server=$!
for _ in $(seq 50); do [[ -s $work/url ]] && break; sleep 0.1; done
url=$(cat "$work/url")/runs
out=$work/out

# The contenders: a name, then the command, run by bash; $url, $out, $N,
# $PAGE and $work are set.
names=() cmds=()
add() {
	if [[ -z ${ONLY:-} ]] || grep -qE -- "$ONLY" <<< "$1"; then
		names+=("$1") cmds+=("$2")
	fi
}
case $suite in
clients)
	add "hand loop, items as lines" '"$work/pageclient" -impl hand -items raw "$url" > "$out" 2> /dev/null'
	add "OffsetFetch[json.RawMessage], items as lines" '"$work/pageclient" -impl pager -items raw "$url" > "$out" 2> /dev/null'
	add "pagecat > FILE" '"$work/pagecat" -progress never -page-size $PAGE "$url" > "$out"'
	add "pagecat -o FILE" '"$work/pagecat" -progress never -page-size $PAGE -restart -o "$out" "$url"'
	add "pagecat > FILE, GOGC=100" 'GOGC=100 "$work/pagecat" -progress never -page-size $PAGE "$url" > "$out"'
	if [[ -n ${BEFORE:-} ]]; then
		add "pagecat > FILE, before ($(basename "$BEFORE"))" '"$BEFORE" -progress never -page-size $PAGE "$url" > "$out"'
	fi
	add "hand loop, typed items" '"$work/pageclient" -impl hand -items typed "$url" 2> "$out.err"'
	add "OffsetFetch[Record]" '"$work/pageclient" -impl pager -items typed "$url" 2> "$out.err"'
	;;
prefetch)
	add "hand loop, items as lines" '"$work/pageclient" -impl hand -items raw "$url" > "$out" 2> /dev/null'
	add "OffsetFetch, Prefetch 4" '"$work/pageclient" -impl pager -items raw -prefetch 4 "$url" > "$out" 2> /dev/null'
	add "pagecat -prefetch 4 > FILE" '"$work/pagecat" -progress never -page-size $PAGE -prefetch 4 "$url" > "$out"'
	add "OffsetFetch, no Prefetch" '"$work/pageclient" -impl pager -items raw "$url" > "$out" 2> /dev/null'
	add "pagecat > FILE" '"$work/pagecat" -progress never -page-size $PAGE "$url" > "$out"'
	;;
jq)
	add "pagecat -o FILE -jq .id" '"$work/pagecat" -progress never -page-size $PAGE -restart -o "$out" -jq .id "$url"'
	add "pagecat -o FILE" '"$work/pagecat" -progress never -page-size $PAGE -restart -o "$out" "$url"'
	add "pagecat -o FILE -jq .id, GOGC=100" 'GOGC=100 "$work/pagecat" -progress never -page-size $PAGE -restart -o "$out" -jq .id "$url"'
	if [[ -n ${BEFORE:-} ]]; then
		add "pagecat -o FILE -jq .id, before ($(basename "$BEFORE"))" '"$BEFORE" -progress never -page-size $PAGE -restart -o "$out" -jq .id "$url"'
	fi
	add "bash: curl per page, jq -c .runs[].id" 'for ((off = 0; off < N; off += PAGE)); do
		curl -sf "$url?limit=$PAGE&offset=$off" | jq -c ".runs[].id"
	done > "$out"'
	;;
*)
	echo "bench_export.sh: no suite $suite" >&2
	exit 2
	;;
esac

export url out N PAGE work BEFORE
rows=$work/rows
echo "# $suite: N=$N, pages of $PAGE, server latency $LATENCY, $ROUNDS rounds; $(nproc) CPUs; $(uptime | sed 's/.*load/load/')"
echo "# round | contender | wall s | user s | sys s | max RSS KiB"
for ((r = 1; r <= ROUNDS; r++)); do
	for i in "${!names[@]}"; do
		rm -f "$out" "$out.err" "$out.pagecat.json"
		/usr/bin/time -f '%e %U %S %M' -o "$work/time" bash -c "${cmds[i]}"
		read -r wall user sys rss < "$work/time"
		if [[ -s $out.err ]]; then # typed: the count on stderr
			got=$(awk '{print $1}' "$out.err")
		else
			got=$(wc -l < "$out")
		fi
		[[ $got == "$N" ]] || { echo "${names[i]}: $got records, want $N" >&2; exit 1; }
		echo "$r | ${names[i]} | $wall | $user | $sys | $rss" | tee -a "$rows"
	done
done
echo "# $(uptime | sed 's/.*load/load/')"
echo
echo "| $suite, $N records, median of $ROUNDS (min–max) | wall | CPU (user+sys) | records/s | CPU per record | CPU ÷ ${names[0]}, paired | records/s ÷ ${names[0]}, paired | max RSS |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|"
for i in "${!names[@]}"; do
	awk -F ' [|] ' -v name="${names[i]}" -v base="${names[0]}" -v N="$N" '
	function med(a, n,   i, j, t) { # sorts a[1..n] and returns its median
		for (i = 2; i <= n; i++) for (j = i; j > 1 && a[j-1] > a[j]; j--) { t = a[j]; a[j] = a[j-1]; a[j-1] = t }
		return n % 2 ? a[(n+1)/2] : (a[n/2] + a[n/2+1]) / 2
	}
	$2 == base { bc[$1] = $4 + $5; bw[$1] = $3 }
	$2 == name { n++; w[n] = $3; c[n] = $4 + $5; rate[n] = N / $3; m[n] = $6; round[n] = $1 }
	END {
		for (k = 1; k <= n; k++) { rc[k] = c[k] / bc[round[k]]; rr[k] = bw[round[k]] / w[k] }
		mw = med(w, n); mc = med(c, n); mr = med(rate, n); mm = med(m, n); mrc = med(rc, n); mrr = med(rr, n)
		printf "| %s | %.2f s (%.2f–%.2f) | %.2f s (%.2f–%.2f) | %.0f (%.0f–%.0f) | %.2f µs | %.2f (%.2f–%.2f) | %.2f (%.2f–%.2f) | %.0f MiB |\n",
			name, mw, w[1], w[n], mc, c[1], c[n], mr, rate[1], rate[n], mc * 1e6 / N, mrc, rc[1], rc[n], mrr, rr[1], rr[n], mm / 1024
	}' "$rows"
done
