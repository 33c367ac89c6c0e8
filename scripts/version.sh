#!/bin/sh
# The version of this tree, from git describe: what --version prints and
# what the packages are versioned as. A tag vX.Y.Z gives X.Y.Z (with
# +N.gHASH for commits after it); no tag gives 0.0.N+gHASH, N the commit
# count, so versions still grow with every commit. Debian's version rules:
# starts with a digit, no hyphen.
set -eu
cd "$(dirname "$0")/.."
d=$(git describe --tags --always --dirty 2>/dev/null || echo unknown)
case $d in
v[0-9]*)
	echo "${d#v}" | sed -E 's/-([0-9]+)-g/+\1.g/; s/-dirty$/.dirty/'
	;;
*)
	n=$(git rev-list --count HEAD 2>/dev/null || echo 0)
	echo "0.0.$n+g$d" | sed -E 's/-dirty$/.dirty/'
	;;
esac
