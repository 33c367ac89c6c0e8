#!/bin/sh
# A job guarded only by its fencing token: it appends lines to a shared
# file, and before every line it checks, under flock, that no higher token
# than its own has been seen. A holder that lost the lock (cut off, frozen)
# and wakes up after another node took over finds a higher token and stops
# without writing. LEDGER_DIR is the shared "resource"; JOB_LINES lines
# (default 10) are written 0.1 s apart.
set -eu
dir=${LEDGER_DIR:?set LEDGER_DIR to the shared directory}
token=${ZOOLOCKED_TOKEN:?run me under zoo-locked}
node=${ZOOCHAOS_NODE:-$(hostname)}

# write LINE: append LINE unless a higher token has been seen; exit 3 if so.
write() {
	(
		flock 9
		last=$(cat "$dir/last-token" 2>/dev/null || echo 0)
		if [ "$token" -lt "$last" ]; then
			echo "token $token is stale (seen $last): not writing" >&2
			exit 3
		fi
		echo "$token" >"$dir/last-token"
		echo "$1" >>"$dir/lines"
	) 9>>"$dir/flock"
}

i=0
while [ "$i" -lt "${JOB_LINES:-10}" ]; do
	i=$((i + 1))
	write "$token $node $i"
	sleep 0.1
done
