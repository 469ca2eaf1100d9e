/* Atomic, durable JSON state files: see include/hostwatch/jsonfile.h. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hostwatch/jsonfile.h"

int jsonfile_save(json_t *root, const char *path, size_t flags)
{
	int rc = -ENOMEM;
	char *text = json_dumps(root, flags);
	char *tmp = NULL;
	if (!text || asprintf(&tmp, "%s.tmp", path) < 0) {
		tmp = NULL;
		goto out;
	}
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0) {
		rc = -errno;
		goto out;
	}
	size_t len = strlen(text);
	text[len++] = '\n'; /* replaces the NUL: written by length */
	for (size_t off = 0; off < len;) {
		ssize_t w = write(fd, text + off, len - off);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			rc = -errno;
			close(fd);
			goto fail;
		}
		off += (size_t)w;
	}
	if (fsync(fd) < 0) {
		rc = -errno;
		close(fd);
		goto fail;
	}
	if (close(fd) < 0 || rename(tmp, path) < 0) {
		rc = -errno;
		goto fail;
	}
	rc = 0;
	goto out;
fail:
	unlink(tmp);
out:
	free(tmp);
	free(text);
	return rc;
}
