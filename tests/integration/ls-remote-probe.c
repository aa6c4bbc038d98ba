/*
 * ls-remote-probe.c: a test driver for source_remote_head() (and so
 * repo_remote_head() in repo-remote.c) against real remotes, used by
 * t-ls-remote.sh, which compiles it with contrib/cc.sh. Not part of kedge.
 *
 *	ls-remote-probe SPEC REF [TIMEOUT_MS [SSH_KEY KNOWN_HOSTS]]
 *
 * REF "-" is the default branch. Prints "head: <commit id>" or
 * "head: ERR_<code>: <message>", then "ms: <elapsed milliseconds>"; exits
 * 0 unless the arguments are wrong.
 */
#include <time.h>

#include "err.h"
#include "repo.h"
#include "source.h"

static long long mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int main(int argc, char **argv)
{
	struct source_opts o = {0};
	char id[41];
	struct err e;
	long long t0;
	int rc;

	if (argc != 3 && argc != 4 && argc != 6) {
		fprintf(stderr, "usage: ls-remote-probe SPEC REF [TIMEOUT_MS "
		                "[SSH_KEY KNOWN_HOSTS]]\n");
		return 2;
	}
	o.repo = argv[1];
	o.ref = strcmp(argv[2], "-") ? argv[2] : NULL;
	if (argc >= 4)
		o.git_timeout_ms = (unsigned)strtoul(argv[3], NULL, 10);
	if (argc == 6) {
		o.ssh_key = argv[4];
		o.known_hosts = argv[5];
	}
	err_clear(&e);
	t0 = mono_ms();
	rc = source_remote_head(id, &o, &e);
	if (rc)
		printf("head: %s: %s\n", err_name(rc), e.msg);
	else
		printf("head: %s\n", id);
	printf("ms: %lld\n", mono_ms() - t0);
	repo_global_shutdown();
	return 0;
}
