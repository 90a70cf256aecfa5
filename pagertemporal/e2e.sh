#!/usr/bin/env bash
# The end-to-end test of pagertemporal against a real Temporal server: a
# worker killed with SIGKILL mid-partition and started again finishes the
# export with nothing missing, and repeats within the documented window.
#
# It installs the Temporal CLI (v1.5.1: later versions carry a replace that
# the module proxy cannot serve) into a cache directory, once — building it
# takes some minutes — starts its dev server on 127.0.0.1 on a free port,
# runs TestKilledWorker against it, and stops the server. Arguments go to
# the test: e2e.sh -e2e.records 200000 -e2e.latency 50ms -e2e.heartbeat 10s
#
#	PAGERTEMPORAL_CACHE  where the CLI is kept (default ~/.cache/pager-temporal)
set -euo pipefail
cd "$(dirname "$0")"

CLI_VERSION=v1.5.1
CACHE=${PAGERTEMPORAL_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/pager-temporal}
BIN=$CACHE/temporal-$CLI_VERSION/temporal
# Without it the CLI asks an outside host for the latest version.
export TEMPORAL_VERSION_CHECK_DISABLED=1

if [[ ! -x $BIN ]]; then
	echo "installing the Temporal CLI $CLI_VERSION into $(dirname "$BIN") (some minutes, once)"
	start=$SECONDS
	GOBIN=$(dirname "$BIN") GOWORK=off go install "github.com/temporalio/cli/cmd/temporal@$CLI_VERSION"
	echo "installed in $((SECONDS - start))s"
fi

# A port nobody listens on (the server picks free ports for its others).
free_port() {
	local port
	for _ in {1..100}; do
		port=$((20000 + RANDOM % 30000))
		if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
			echo "$port"
			return
		fi
	done
	echo "e2e.sh: no free port found" >&2
	return 1
}

work=$(mktemp -d)
server=
stop() {
	if [[ -n $server ]]; then
		kill "$server" 2>/dev/null || true
		wait "$server" 2>/dev/null || true
	fi
	rm -rf "$work"
}
trap stop EXIT

for try in 1 2 3; do
	port=$(free_port)
	"$BIN" server start-dev --headless --ip 127.0.0.1 --port "$port" --log-level warn \
		>"$work/server.log" 2>&1 &
	server=$!
	ready=
	for _ in {1..120}; do
		if ! kill -0 "$server" 2>/dev/null; then
			break # exited: the port was taken after all, or worse
		fi
		if "$BIN" operator namespace describe --address "127.0.0.1:$port" --namespace default >/dev/null 2>&1; then
			ready=1
			break
		fi
		sleep 0.5
	done
	[[ -n $ready ]] && break
	echo "e2e.sh: the server did not start on port $port (try $try):"
	cat "$work/server.log"
	kill "$server" 2>/dev/null || true
	wait "$server" 2>/dev/null || true
	server=
done
[[ -n $server ]] || exit 1
echo "Temporal dev server on 127.0.0.1:$port"

PAGERTEMPORAL_SERVER=127.0.0.1:$port GOWORK=off \
	go test -count=1 -v -run '^TestKilledWorker$' . -args "$@"
