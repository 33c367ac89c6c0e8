#!/bin/sh
# Entrypoint of the local ZooKeeper image. It follows the official image's
# conventions (ZOO_MY_ID, ZOO_SERVERS, ZOO_TICK_TIME, ZOO_CFG_EXTRA, ...) so the
# harness can run either image unchanged, then execs the JVM so that SIGTERM
# reaches it (a PID 1 shell would swallow it and every stop would time out).
set -e
: "${ZOO_CONF_DIR:=/conf}" "${ZOO_DATA_DIR:=/data}" "${ZOO_DATA_LOG_DIR:=/datalog}"
: "${ZOO_TICK_TIME:=2000}" "${ZOO_INIT_LIMIT:=5}" "${ZOO_SYNC_LIMIT:=2}"
: "${ZOO_MAX_CLIENT_CNXNS:=60}" "${ZOO_STANDALONE_ENABLED:=true}"
: "${ZOO_ADMINSERVER_ENABLED:=false}" "${ZOO_4LW_COMMANDS_WHITELIST:=srvr,mntr,ruok,stat,cons,conf}"
: "${ZOO_AUTOPURGE_PURGEINTERVAL:=0}" "${ZOO_AUTOPURGE_SNAPRETAINCOUNT:=3}"

mkdir -p "$ZOO_CONF_DIR" "$ZOO_DATA_DIR" "$ZOO_DATA_LOG_DIR"
if [ ! -f "$ZOO_CONF_DIR/zoo.cfg" ]; then
  cfg="$ZOO_CONF_DIR/zoo.cfg"
  {
    echo "dataDir=$ZOO_DATA_DIR"
    echo "dataLogDir=$ZOO_DATA_LOG_DIR"
    echo "tickTime=$ZOO_TICK_TIME"
    echo "initLimit=$ZOO_INIT_LIMIT"
    echo "syncLimit=$ZOO_SYNC_LIMIT"
    echo "maxClientCnxns=$ZOO_MAX_CLIENT_CNXNS"
    echo "standaloneEnabled=$ZOO_STANDALONE_ENABLED"
    echo "admin.enableServer=$ZOO_ADMINSERVER_ENABLED"
    echo "4lw.commands.whitelist=$ZOO_4LW_COMMANDS_WHITELIST"
    echo "autopurge.purgeInterval=$ZOO_AUTOPURGE_PURGEINTERVAL"
    echo "autopurge.snapRetainCount=$ZOO_AUTOPURGE_SNAPRETAINCOUNT"
    if [ -z "$ZOO_SERVERS" ]; then
      echo "clientPort=2181"
    elif [ "${ZOO_VERSION:-}" = 3.4 ]; then
      # 3.4 has no ";clientPort" on a server line: a port of its own.
      echo "clientPort=2181"
      for server in $ZOO_SERVERS; do echo "${server%%;*}"; done
    else
      for server in $ZOO_SERVERS; do echo "$server"; done
    fi
    # ZOO_CFG_EXTRA: space-separated key=value lines, as in the official image.
    for line in $ZOO_CFG_EXTRA; do echo "$line"; done
  } >"$cfg"
fi
if [ ! -f "$ZOO_DATA_DIR/myid" ]; then
  echo "${ZOO_MY_ID:-1}" >"$ZOO_DATA_DIR/myid"
fi

cat >"$ZOO_CONF_DIR/log4j.properties" <<'LOG'
log4j.rootLogger=INFO, CONSOLE
log4j.appender.CONSOLE=org.apache.log4j.ConsoleAppender
log4j.appender.CONSOLE.layout=org.apache.log4j.PatternLayout
log4j.appender.CONSOLE.layout.ConversionPattern=%d{ISO8601} [myid:%X{myid}] - %-5p [%t:%C{1}@%L] - %m%n
LOG

# ZOO_CLOCK_FILE: the server's wall clock follows the offset in that file
# ("+3600s", "-30m", "+0s"), re-read each second, while the monotonic clock
# that times sessions is left alone. The harness rewrites it to step or
# drift one server's clock. FAKETIME_FORCE_MONOTONIC_FIX=0: with the fix
# faketime turns on for this glibc, an idle JVM spins at 1.7 cores.
if [ -n "${ZOO_CLOCK_FILE:-}" ]; then
  [ -f "$ZOO_CLOCK_FILE" ] || echo "+0s" >"$ZOO_CLOCK_FILE"
  export LD_PRELOAD=/usr/lib/x86_64-linux-gnu/faketime/libfaketimeMT.so.1
  export FAKETIME_TIMESTAMP_FILE="$ZOO_CLOCK_FILE" FAKETIME_CACHE_DURATION=1 FAKETIME_DONT_FAKE_MONOTONIC=1 FAKETIME_FORCE_MONOTONIC_FIX=0
fi

# 3.4's jar does not list slf4j-api in its manifest; the others ignore a
# second mention.
exec java ${JVMFLAGS:--Xmx256m -XX:+UseSerialGC} -Dzookeeper.log.dir=/tmp \
  -Dlog4j.configuration="file:$ZOO_CONF_DIR/log4j.properties" \
  -cp "$ZOO_CONF_DIR:${ZOO_SERVER_JARS:+$ZOO_SERVER_JARS:}/usr/share/java/zookeeper.jar:/usr/share/java/slf4j-api.jar:/usr/share/java/slf4j-log4j12.jar:/usr/share/java/log4j-1.2.jar" \
  org.apache.zookeeper.server.quorum.QuorumPeerMain "$ZOO_CONF_DIR/zoo.cfg"
