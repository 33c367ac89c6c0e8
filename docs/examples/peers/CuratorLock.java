// Curator's InterProcessMutex around a job, as Curator's documentation shows
// it (Debian's libcurator-recipes-java). Java runs the file as it is:
//
//	java -cp "$(cat classpath)" CuratorLock.java HOSTS PATH COMMAND
//
// Takes the lock at PATH (waiting for it), runs COMMAND through /bin/sh,
// releases, and exits with COMMAND's status. Curator watches the session in
// the background, but nothing tells COMMAND that the lock is gone, and
// nothing kills COMMAND when this JVM dies: that is the documented use, and
// what the comparison measures.
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.framework.recipes.locks.InterProcessMutex;
import org.apache.curator.retry.ExponentialBackoffRetry;

public class CuratorLock {
    public static void main(String[] args) throws Exception {
        CuratorFramework client = CuratorFrameworkFactory.newClient(args[0], new ExponentialBackoffRetry(1000, 3));
        client.start();
        InterProcessMutex lock = new InterProcessMutex(client, args[1]);
        lock.acquire();
        int status;
        try {
            status = new ProcessBuilder("/bin/sh", "-c", args[2]).inheritIO().start().waitFor();
        } finally {
            lock.release();
        }
        client.close();
        System.exit(status);
    }
}
