#!/usr/bin/env bash
# README's comparison: zoo-locked against kazoo's Lock, Curator's
# InterProcessMutex and ZooKeeper's C recipe (docs/examples/peers), each
# used as its documentation shows, over the same scenarios and seed.
#
#	scripts/compare-peers.sh [REPORT_DIR] [zoo-chaos compare flags...]
#
# Needs make build peers (make compare runs both).
set -euo pipefail
cd "$(dirname "$0")/.."
report=${1:-compare-report}
shift || true
peers=$PWD/docs/examples/peers
exec bin/zoo-chaos compare --report "$report" \
  --scenarios "${COMPARE_SCENARIOS:-baseline,holder-sigkill,holder-partition,holder-paused}" \
  --tool "kazoo=/usr/bin/python3 $peers/kazoo-lock.py {zk} {path} {job}" \
  --tool "curator=java -cp $PWD/bin/peers:$(cat "$peers/classpath") CuratorLock {zk} {path} {job}" \
  --tool "c-recipe=$PWD/bin/peers/c-lock {zk} {path} {job}" \
  "$@"
