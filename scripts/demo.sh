#!/usr/bin/env bash
# A minute with zoo-locked: start an ensemble, fire the same "invoice" job
# from three simulated nodes at once, and show that they ran one at a time;
# then SIGKILL a holder and show that its job died with it.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=bin
tmp=$(mktemp -d)
trap 'kill $up 2>/dev/null; wait $up 2>/dev/null; rm -rf "$tmp"' EXIT
"$bin/zoo-chaos" up --ready-file "$tmp/zk" >"$tmp/up.log" 2>&1 &
up=$!
echo "demo: starting a three-node ZooKeeper ensemble..."
for _ in $(seq 1 120); do [ -s "$tmp/zk" ] && break; kill -0 $up 2>/dev/null || { cat "$tmp/up.log"; exit 1; }; sleep 0.5; done
[ -s "$tmp/zk" ] || { echo "demo: ensemble did not come up"; cat "$tmp/up.log"; exit 1; }
export ZOOLOCKED_ZK=$(cat "$tmp/zk") ZOOLOCKED_SESSION_TIMEOUT=4s ZOOLOCKED_KILL_GRACE=500ms
echo "demo: three nodes fire the invoice job at once:"
for node in A B C; do
  "$bin/zoo-locked" --shell invoices -- "echo \"  node $node: start, token \$ZOOLOCKED_TOKEN\"; sleep 1; echo \"  node $node: done\"" &
done
wait %2 %3 %4 2>/dev/null || true
echo "demo: a holder is SIGKILLed while its job runs (the job ignores SIGTERM):"
"$bin/zoo-locked" --shell invoices -- 'trap "" TERM HUP; echo "  job pid $$ running"; echo $$ > '"$tmp"'/job; sleep 60' &
holder=$!
for _ in $(seq 1 50); do [ -s "$tmp/job" ] && break; sleep 0.1; done
kill -9 $holder; wait $holder 2>/dev/null || true
sleep 0.5
if kill -0 "$(cat "$tmp/job")" 2>/dev/null; then echo "  job still running: FAIL"; exit 1; else echo "  job gone with its wrapper: no orphan"; fi
start=$(date +%s%N)
"$bin/zoo-locked" invoices -- true
echo "  lock taken again $(( ($(date +%s%N) - start) / 1000000 )) ms later (session timeout 4 s)"
