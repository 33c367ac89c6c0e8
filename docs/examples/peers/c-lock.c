/*
 * ZooKeeper's C lock recipe, tried once, around a job: what the replaced C
 * tool does. Built against Debian's libzookeeper-mt-dev:
 *
 *	gcc -O2 -o c-lock c-lock.c -lzookeeper_mt
 *	c-lock HOSTS PATH COMMAND
 *
 * Creates an ephemeral sequential contender named as the recipe names it
 * (x-SESSION-SEQ); when it is the lowest, runs COMMAND through popen, as
 * the old tool does, and exits with its status; when not, exits 75 (busy).
 * Nothing watches the session while COMMAND runs, and nothing kills COMMAND
 * when this process dies.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#define THREADED /* the synchronous API, as libzookeeper_mt has it */
#include <zookeeper/zookeeper.h>

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t connected = PTHREAD_COND_INITIALIZER;
static int has_session;

static void watcher(zhandle_t *zh, int type, int state, const char *path, void *ctx) {
	(void)zh; (void)path; (void)ctx;
	if (type == ZOO_SESSION_EVENT && state == ZOO_CONNECTED_STATE) {
		pthread_mutex_lock(&mu);
		has_session = 1;
		pthread_cond_signal(&connected);
		pthread_mutex_unlock(&mu);
	}
}

/* ensure_path creates PATH and its parents, as the recipe expects them. */
static int ensure_path(zhandle_t *zh, const char *path) {
	char part[512];
	for (const char *slash = strchr(path + 1, '/');; slash = strchr(slash + 1, '/')) {
		size_t n = slash ? (size_t)(slash - path) : strlen(path);
		snprintf(part, sizeof part, "%.*s", (int)n, path);
		int rc = zoo_create(zh, part, 0, 0, &ZOO_OPEN_ACL_UNSAFE, 0, 0, 0);
		if (rc != ZOK && rc != ZNODEEXISTS)
			return rc;
		if (!slash)
			return ZOK;
	}
}

/* sequence is a contender's sequence number: the digits after its last '-'. */
static long long sequence(const char *name) {
	const char *dash = strrchr(name, '-');
	return dash ? atoll(dash + 1) : -1;
}

int main(int argc, char **argv) {
	if (argc != 4) {
		fprintf(stderr, "usage: c-lock HOSTS PATH COMMAND\n");
		return 64;
	}
	zoo_set_debug_level(ZOO_LOG_LEVEL_ERROR);
	zhandle_t *zh = zookeeper_init(argv[1], watcher, 30000, 0, 0, 0);
	if (!zh) {
		perror("zookeeper_init");
		return 69;
	}
	pthread_mutex_lock(&mu);
	while (!has_session)
		pthread_cond_wait(&connected, &mu);
	pthread_mutex_unlock(&mu);

	int rc = ensure_path(zh, argv[2]);
	char prefix[512], created[512];
	snprintf(prefix, sizeof prefix, "%s/x-%016llx-", argv[2], (unsigned long long)zoo_client_id(zh)->client_id);
	if (rc == ZOK)
		rc = zoo_create(zh, prefix, 0, 0, &ZOO_OPEN_ACL_UNSAFE, ZOO_EPHEMERAL | ZOO_SEQUENCE, created, sizeof created);
	struct String_vector children = {0};
	if (rc == ZOK)
		rc = zoo_get_children(zh, argv[2], 0, &children);
	if (rc != ZOK) {
		fprintf(stderr, "c-lock %s: %s\n", argv[2], zerror(rc));
		zookeeper_close(zh);
		return 69;
	}
	long long ours = sequence(created), lowest = ours;
	for (int i = 0; i < children.count; i++) {
		long long seq = sequence(children.data[i]);
		if (seq >= 0 && seq < lowest)
			lowest = seq;
	}
	deallocate_String_vector(&children);
	if (lowest != ours) {
		zoo_delete(zh, created, -1);
		zookeeper_close(zh);
		return 75;
	}
	FILE *job = popen(argv[3], "r");
	char buf[4096];
	size_t n;
	while (job && (n = fread(buf, 1, sizeof buf, job)) > 0)
		fwrite(buf, 1, n, stdout);
	int status = job ? pclose(job) : -1;
	zoo_delete(zh, created, -1);
	zookeeper_close(zh);
	return status != -1 && WIFEXITED(status) ? WEXITSTATUS(status) : 70;
}
