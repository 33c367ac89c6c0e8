#!/usr/bin/env bash
# Builds the local ZooKeeper image the harness runs, from Debian's packages,
# without pulling anything: debootstrap a minimal rootfs, add our entrypoint,
# docker import it. Skipped when the tag already exists.
#
#   ZK=3.8|3.9|3.4 scripts/build-zk-image.sh [TAG]   (default tag: zoo-locked/zookeeper:$ZK)
#
# Each version comes from the Debian suite that packages it: 3.8 from
# bookworm, 3.4 from bullseye, 3.9 from trixie's libzookeeper-java laid on a
# bookworm rootfs (trixie's own base does not debootstrap here; the 3.9 jar
# runs on bookworm's JRE and libraries). Every image carries Debian's
# faketime, so the harness can move a server's wall clock (entry.sh).
set -euo pipefail

zk=${ZK:-3.8}
case $zk in
  3.8) suite=bookworm ;;
  3.9) suite=bookworm ;;
  3.4) suite=bullseye ;;
  *) echo "zk image: ZK=$zk is not one we build; use ZK=3.8, ZK=3.9 or ZK=3.4" >&2; exit 2 ;;
esac
suite=${ZK_IMAGE_SUITE:-$suite}
tag=${1:-zoo-locked/zookeeper:$zk}
here=$(cd "$(dirname "$0")" && pwd)

# The image is rebuilt when its recipe (this script, its entrypoint)
# changes, and only then: the recipe's hash is kept in the image.
recipe=$( (cat "$0" "$here/zk-image/entry.sh"; echo "$zk $suite") | sha256sum | cut -c1-16)
if have=$(docker image inspect -f '{{range .Config.Env}}{{println .}}{{end}}' "$tag" 2>/dev/null); then
  if printf '%s\n' "$have" | grep -qx "ZOOLOCKED_IMAGE_RECIPE=$recipe"; then
    echo "zk image: $tag is up to date, not rebuilt (docker rmi $tag to force)"
    exit 0
  fi
  echo "zk image: $tag was built from another recipe; rebuilding"
fi

# The mirror apt on this machine already uses: a registry-free build must not
# name a host of its own.
mirror=${ZK_IMAGE_MIRROR:-}
if [ -z "$mirror" ]; then
  mirror=$(grep -hE '^(URIs:|deb )' /etc/apt/sources.list /etc/apt/sources.list.d/*.sources /etc/apt/sources.list.d/*.list 2>/dev/null \
    | grep -E '/debian/?$|/debian/? ' | grep -v security | head -n1 \
    | sed -E 's/^URIs:[[:space:]]*//; s/^deb (\[[^]]*\] )?//; s/[[:space:]].*$//' || true)
fi
if [ -z "$mirror" ]; then
  echo "zk image: cannot find the Debian mirror apt uses; set ZK_IMAGE_MIRROR" >&2
  exit 1
fi
command -v debootstrap >/dev/null || { echo "zk image: debootstrap missing (apt-get install debootstrap)" >&2; exit 1; }

work=$(mktemp -d /var/tmp/zk-rootfs.XXXXXX)
trap 'rm -rf "$work"' EXIT
root=$work/rootfs
start=$(date +%s)
echo "zk image: debootstrap $suite from $mirror (about 90 s)"
# man-db and systemd are not for the servers: the package test installs
# zoo-locked's .deb into a container of this image and there runs man -w
# and systemd-analyze verify.
debootstrap --variant=minbase --include=zookeeper,default-jre-headless,faketime,man-db,systemd \
  "$suite" "$root" "$mirror" >"$work/debootstrap.log" 2>&1 || {
  tail -n 30 "$work/debootstrap.log" >&2
  exit 1
}

# 3.9: trixie's server jars in a directory of their own, put before
# bookworm's on the classpath (ZOO_SERVER_JARS): the 3.9 jar's manifest
# names /usr/share/java/zookeeper-jute.jar, 3.8's, which would win and
# break every connect. Its other dependencies are bookworm's.
server_jars=
if [ "$zk" = 3.9 ]; then
  # Whole, not piped into awk: awk stops at the first match, and under
  # pipefail the SIGPIPE that gives xz and curl would end this script.
  curl -fsS -o "$work/Packages.xz" "$mirror/dists/trixie/main/binary-amd64/Packages.xz"
  deb=$(xz -dc "$work/Packages.xz" \
    | awk '/^Package: libzookeeper-java$/{p=1} p&&/^Filename:/&&!f{f=$2} END{print f}')
  [ -n "$deb" ] || { echo "zk image: trixie's libzookeeper-java not found at $mirror" >&2; exit 1; }
  curl -fsS -o "$work/zk39.deb" "$mirror/$deb"
  dpkg-deb -x "$work/zk39.deb" "$work/zk39"
  mkdir -p "$root/opt/zookeeper-3.9"
  cp -L "$work/zk39/usr/share/java/zookeeper-jute.jar" "$work/zk39/usr/share/java/zookeeper.jar" "$root/opt/zookeeper-3.9/"
  server_jars=/opt/zookeeper-3.9/zookeeper-jute.jar:/opt/zookeeper-3.9/zookeeper.jar
fi

# Slim: what a server never reads at run time.
rm -rf "$root"/usr/share/doc/* "$root"/usr/share/man/* "$root"/usr/share/info/* \
  "$root"/usr/share/locale/* "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/* \
  "$root"/var/cache/debconf/*-old "$root"/var/log/*
install -m 0755 "$here/zk-image/entry.sh" "$root/entry.sh"
mkdir -p "$root/data" "$root/datalog" "$root/conf"

tar -C "$root" -c . | docker import \
  -c 'ENTRYPOINT ["/entry.sh"]' \
  -c 'EXPOSE 2181 2888 3888' \
  -c 'VOLUME ["/data", "/datalog"]' \
  -c 'ENV ZOO_DATA_DIR=/data ZOO_DATA_LOG_DIR=/datalog ZOO_CONF_DIR=/conf' \
  -c "ENV ZOOLOCKED_IMAGE_RECIPE=$recipe ZOO_VERSION=$zk ZOO_SERVER_JARS=$server_jars" \
  -m "zoo-locked ZooKeeper $zk from Debian $suite packages" - "$tag" >/dev/null
echo "zk image: built $tag in $(( $(date +%s) - start )) s ($(docker image inspect -f '{{.Size}}' "$tag" | awk '{printf "%.0f MB", $1/1e6}'))"
