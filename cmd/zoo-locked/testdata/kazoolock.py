"""A kazoo lock on a path zoo-locked shares, for the drop-in tests.

    kazoolock.py HOSTS PATH hold   take the lock, print "holding", hold it
                                   until stdin closes, release
    kazoolock.py HOSTS PATH try    acquire(blocking=False): print "ran" and
                                   exit 0 when it got the lock, exit 75 when not

The lock is set up as the README tells kazoo users to: with
extra_lock_patterns=("-lock-",) so that zoo-locked's contenders count; or,
given a fourth argument "default", as kazoo's default Lock, which counts
zoo-locked's contenders only under --contender-style kazoo.
"""
import sys

from kazoo.client import KazooClient

hosts, path, mode = sys.argv[1:4]
patterns = () if sys.argv[4:5] == ["default"] else ("-lock-",)
zk = KazooClient(hosts=hosts, timeout=4.0)
zk.start(timeout=10)
lock = zk.Lock(path, "kazoo-test", extra_lock_patterns=patterns)
if mode == "try":
    got = lock.acquire(blocking=False)
    if got:
        print("ran", flush=True)
        lock.release()
    zk.stop()
    sys.exit(0 if got else 75)
lock.acquire()
print("holding", flush=True)
sys.stdin.read()
lock.release()
zk.stop()
