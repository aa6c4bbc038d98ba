/*
 * replay.c: runs a fuzz target's LLVMFuzzerTestOneInput() on saved inputs.
 *
 * Owns: a main() for every fuzz target that `make check` uses to replay
 * the committed corpus without libFuzzer (so gcc builds work too). Each
 * argument is a file or a folder; a folder's regular files are replayed
 * in name order and its subfolders and dot files are ignored. A crash in
 * the target aborts the process (under ASan), which is the failure; a
 * path that cannot be read is reported and also fails. Does not own: the
 * targets (tests/fuzz/fuzz-*.c) or the corpora.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int replay_file(const char *path)
{
	FILE *fp = fopen(path, "rb");
	uint8_t *data = NULL;
	size_t len = 0, cap = 0, n;

	if (!fp) {
		perror(path);
		return -1;
	}
	do {
		if (len == cap) {
			cap = cap ? cap * 2 : 4096;
			data = realloc(data, cap);
			if (!data)
				abort();
		}
		n = fread(data + len, 1, cap - len, fp);
		len += n;
	} while (n);
	if (ferror(fp)) {
		perror(path);
		fclose(fp);
		free(data);
		return -1;
	}
	fclose(fp);
	/* Copy into an exact-size block so ASan sees reads past the end. */
	uint8_t *exact = malloc(len ? len : 1);
	if (!exact)
		abort();
	if (len)
		memcpy(exact, data, len);
	free(data);
	LLVMFuzzerTestOneInput(exact, len);
	free(exact);
	return 0;
}

static int by_name(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

static int replay_dir(const char *dir, size_t *count)
{
	struct dirent **names;
	int n = scandir(dir, &names, NULL, by_name), rc = 0;

	if (n < 0) {
		perror(dir);
		return -1;
	}
	for (int i = 0; i < n; i++) {
		size_t len = strlen(dir) + strlen(names[i]->d_name) + 2;
		char *path = malloc(len);
		struct stat st;

		if (!path)
			abort();
		snprintf(path, len, "%s/%s", dir, names[i]->d_name);
		if (names[i]->d_name[0] != '.' && !stat(path, &st) &&
		    S_ISREG(st.st_mode)) {
			if (replay_file(path))
				rc = -1;
			else
				(*count)++;
		}
		free(path);
		free(names[i]);
	}
	free(names);
	return rc;
}

int main(int argc, char **argv)
{
	int failed = 0;

	if (argc < 2) {
		fprintf(stderr, "usage: %s CORPUS-DIR-OR-FILE...\n", argv[0]);
		return 2;
	}
	for (int i = 1; i < argc; i++) {
		struct stat st;
		size_t count = 0;

		if (stat(argv[i], &st)) {
			perror(argv[i]);
			failed = 1;
			continue;
		}
		if (S_ISDIR(st.st_mode) ? replay_dir(argv[i], &count)
		                        : replay_file(argv[i]))
			failed = 1;
		else if (!S_ISDIR(st.st_mode))
			count = 1;
		printf("replay: %zu inputs from %s\n", count, argv[i]);
	}
	return failed;
}
