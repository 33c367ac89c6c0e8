"""kazoo's Lock around a job, as kazoo's documentation shows it.

    python3 kazoo-lock.py HOSTS PATH COMMAND

Takes the lock at PATH (waiting for it), runs COMMAND through /bin/sh,
releases, and exits with COMMAND's status. Nothing here watches the
session while COMMAND runs, and nothing kills COMMAND when this process
dies: that is kazoo's documented use, and what the comparison measures.
"""
import subprocess
import sys

from kazoo.client import KazooClient

hosts, path, command = sys.argv[1:4]
zk = KazooClient(hosts=hosts)
zk.start()
lock = zk.Lock(path, "kazoo-lock.py")
with lock:  # blocks until the lock is ours
    status = subprocess.call(command, shell=True)
zk.stop()
sys.exit(status)
