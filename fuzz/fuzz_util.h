/* Helpers shared by the libFuzzer targets in this directory (built by
 * tools/fuzz.sh, never by `make check`).
 *
 * Most of hostwatch's parsers read a file by path (a collector under
 * --path.procfs, the config file, a rule file): a target writes the
 * fuzzer's bytes to a file in a scratch directory of its own and points the
 * real entry point at it, so what is fuzzed is what the daemon runs,
 * readers included. The directory lives in $TMPDIR, one per process (so
 * that -jobs/-workers do not share it), and is removed at exit. */
#ifndef HOSTWATCH_FUZZ_UTIL_H
#define HOSTWATCH_FUZZ_UTIL_H

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hostwatch/buf.h"
#include "hostwatch/expo.h"
#include "hostwatch/log.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

static char fz_root[512];

static inline int fz_rm_one(const char *path, const struct stat *st, int flag,
		     struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static inline void fz_cleanup(void)
{
	if (fz_root[0])
		nftw(fz_root, fz_rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* The scratch directory, made on first use; aborts when it cannot be (a
 * target that silently fuzzed nothing would be worse). */
static inline const char *fz_dir(void)
{
	if (fz_root[0])
		return fz_root;
	const char *tmp = getenv("TMPDIR");
	snprintf(fz_root, sizeof(fz_root), "%s/hwfuzz.XXXXXX",
		 tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(fz_root)) {
		perror("fuzz: mkdtemp");
		abort();
	}
	atexit(fz_cleanup);
	return fz_root;
}

/* fz_dir() + "/" + rel into dst. */
static inline const char *fz_path(char *dst, size_t size, const char *rel)
{
	if ((size_t)snprintf(dst, size, "%s/%s", fz_dir(), rel) >= size)
		abort();
	return dst;
}

/* Make the directories leading to fz_dir()/rel. */
static inline void fz_mkdirs(const char *rel)
{
	char p[1024];
	fz_path(p, sizeof(p), rel);
	size_t skip = strlen(fz_dir()) + 1;
	for (char *s = p + skip; *s; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		if (mkdir(p, 0700) < 0 && errno != EEXIST) {
			perror(p);
			abort();
		}
		*s = '/';
	}
}

/* Replace fz_dir()/rel with these bytes (directories made as needed). */
static inline void fz_write(const char *rel, const void *data, size_t size)
{
	char p[1024];
	fz_mkdirs(rel);
	fz_path(p, sizeof(p), rel);
	int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0) {
		perror(p);
		abort();
	}
	const char *s = data;
	while (size) {
		ssize_t n = write(fd, s, size);
		if (n < 0) {
			perror(p);
			abort();
		}
		s += n;
		size -= (size_t)n;
	}
	close(fd);
}

static inline void fz_unlink(const char *rel)
{
	char p[1024];
	unlink(fz_path(p, sizeof(p), rel));
}

/* The bytes as a NUL-terminated string (a NUL inside ends it early, as it
 * would for the C parser reading a file with one). free() it. */
static inline char *fz_cstr(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);
	if (!s)
		abort();
	if (size)
		memcpy(s, data, size);
	s[size] = '\0';
	return s;
}

/* Collectors and loaders log what they reject: only errors, which
 * tools/fuzz.sh sends nowhere (-close_fd_mask=2); sanitizer reports still
 * reach the terminal through libFuzzer's own copy of stderr. */
static inline void fz_quiet(void)
{
	log_set_level(HW_LOG_ERROR);
}

/* The LLVMFuzzerInitialize of a target that needs nothing but quiet. */
#define FZ_QUIET_INITIALIZE                                               \
	int LLVMFuzzerInitialize(int *argc, char ***argv)                 \
	{                                                                 \
		(void)argc;                                               \
		(void)argv;                                               \
		fz_quiet();                                               \
		return 0;                                                 \
	}

/* A real exposition writer (what /metrics runs) into a scratch buffer, so
 * that label values a parser took from its input go through the escaping
 * of the HTTP output path too. */
struct fz_expo {
	struct hw_buf out;
	struct expo_writer w;
};

static inline struct sink *fz_expo_begin(struct fz_expo *e, unsigned variant)
{
	memset(&e->out, 0, sizeof(e->out));
	expo_init(&e->w, &e->out, variant & 1 ? EXPO_OPENMETRICS : EXPO_TEXT);
	return &e->w.sink;
}

static inline void fz_expo_end(struct fz_expo *e)
{
	expo_finish(&e->w);
	buf_free(&e->out);
}

#endif
