/*
 * The benchmarks' second baseline: what the replaced C tool does for one
 * firing, on ZooKeeper's C client (libzookeeper-mt): connect, create an
 * ephemeral sequential contender named as the C lock recipe names it,
 * list the contenders, run the command (as popen did, through /bin/sh),
 * close the session. Written for the benchmark; it is not the old tool.
 *
 *	cbaseline SERVERS PARENT COMMAND
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

int main(int argc, char **argv) {
	if (argc != 4) {
		fprintf(stderr, "usage: cbaseline SERVERS PARENT COMMAND\n");
		return 64;
	}
	zoo_set_debug_level(ZOO_LOG_LEVEL_ERROR);
	zhandle_t *zh = zookeeper_init(argv[1], watcher, 4000, 0, 0, 0);
	if (!zh) {
		perror("zookeeper_init");
		return 69;
	}
	pthread_mutex_lock(&mu);
	while (!has_session)
		pthread_cond_wait(&connected, &mu);
	pthread_mutex_unlock(&mu);

	char prefix[512], created[512];
	snprintf(prefix, sizeof prefix, "%s/x-%016llx-", argv[2], (unsigned long long)zoo_client_id(zh)->client_id);
	int rc = zoo_create(zh, prefix, 0, 0, &ZOO_OPEN_ACL_UNSAFE, ZOO_EPHEMERAL | ZOO_SEQUENCE, created, sizeof created);
	if (rc != ZOK) {
		fprintf(stderr, "create %s: %s\n", prefix, zerror(rc));
		return 70;
	}
	struct String_vector children;
	rc = zoo_get_children(zh, argv[2], 0, &children);
	if (rc != ZOK) {
		fprintf(stderr, "get children %s: %s\n", argv[2], zerror(rc));
		return 70;
	}
	deallocate_String_vector(&children);
	int status = system(argv[3]);
	zookeeper_close(zh);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 70;
}
