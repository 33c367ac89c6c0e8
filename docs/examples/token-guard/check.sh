#!/bin/sh
# The invariant: no line was written under a stale token, i.e. read in the
# order they were written, the tokens never go down. zoo-chaos runs this
# once after the scenario, with $ZOOCHAOS_HISTORY naming the history.
set -eu
dir=${LEDGER_DIR:?set LEDGER_DIR to the shared directory}
lines=$(wc -l <"$dir/lines")
awk -v lines="$lines" '
	$1 < highest { stale++; print "stale line " NR ": token " $1 " after " highest }
	$1 > highest { highest = $1 }
	END {
		if (stale) { print stale " of " lines " lines written under a stale token"; exit 1 }
		print lines " lines, none under a stale token"
	}' "$dir/lines"
