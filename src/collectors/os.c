/* os: node_os_info and node_os_version from os-release, as node_exporter
 * 1.5's collector/os_release.go: <rootfs>/etc/os-release, or when that does
 * not exist <rootfs>/usr/lib/os-release, parsed with the rules of
 * hashicorp/go-envparse (the parser node_exporter uses), and the version as
 * the float value of `^[0-9]+\.?[0-9]*` in VERSION_ID (no sample when that
 * does not match or is 0). */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/stat.h>

#include "hostwatch/collector.h"
#include "hostwatch/readfile.h"

#include "goparse.h"

#define OS_MAX_FILE (1u << 20)
/* bufio.Scanner's default limit on a line */
#define OS_MAX_LINE (64 * 1024)

/* The keys node_exporter keeps, in the order of node_os_info's labels. */
enum {
	OS_BUILD_ID,
	OS_ID,
	OS_ID_LIKE,
	OS_IMAGE_ID,
	OS_IMAGE_VERSION,
	OS_NAME,
	OS_PRETTY_NAME,
	OS_VARIANT,
	OS_VARIANT_ID,
	OS_VERSION,
	OS_VERSION_CODENAME,
	OS_VERSION_ID,
	OS_NKEYS,
};

static const char *const os_keys[OS_NKEYS] = {
	"BUILD_ID", "ID",         "ID_LIKE",    "IMAGE_ID",
	"IMAGE_VERSION", "NAME",  "PRETTY_NAME", "VARIANT",
	"VARIANT_ID", "VERSION",  "VERSION_CODENAME", "VERSION_ID",
};

static const char *const os_labels[OS_NKEYS] = {
	"build_id", "id",         "id_like",    "image_id",
	"image_version", "name",  "pretty_name", "variant",
	"variant_id", "version",  "version_codename", "version_id",
};

struct os_priv {
	/* Unescaped values, each pointing into `store`; "" when absent. */
	const char *val[OS_NKEYS];
	struct hw_buf store;
	size_t off[OS_NKEYS];
	bool set[OS_NKEYS];
	/* The file val[] was parsed from, as stat(2) saw it then: node_exporter
	 * (os_release.go, UpdateStruct) parses again only when the file's
	 * modification time changed; size and inode also count here, so that
	 * a file replaced within one timestamp tick is read too. */
	bool parsed;
	size_t which;
	struct stat st;
};

static bool os_same_file(const struct stat *a, const struct stat *b)
{
	return a->st_dev == b->st_dev && a->st_ino == b->st_ino &&
	       a->st_size == b->st_size &&
	       a->st_mtim.tv_sec == b->st_mtim.tv_sec &&
	       a->st_mtim.tv_nsec == b->st_mtim.tv_nsec;
}

static int os_init(struct hw_ctx *ctx)
{
	ctx->priv = calloc(1, sizeof(struct os_priv));
	return ctx->priv ? 0 : -ENOMEM;
}

static void os_fini(struct hw_ctx *ctx)
{
	struct os_priv *op = ctx->priv;
	if (op)
		buf_free(&op->store);
	free(op);
	ctx->priv = NULL;
}


static void os_trim(const char **s, const char **e)
{
	while (*s < *e && go_is_space(**s))
		(*s)++;
	while (*e > *s && go_is_space((*e)[-1]))
		(*e)--;
}

/* go-envparse parseLine(): KEY=value with quotes, escapes and comments.
 * The unescaped value is appended to op->store. */
static int os_parse_line(struct os_priv *op, const char *s, const char *e)
{
	os_trim(&s, &e);
	if (s == e || *s == '#')
		return 0;
	const char *eq = memchr(s, '=', (size_t)(e - s));
	if (!eq)
		return -EINVAL; /* missing "=" */
	const char *ks = s, *ke = eq, *vs = eq + 1, *ve = e;
	os_trim(&ks, &ke);
	os_trim(&vs, &ve);
	if ((size_t)(ke - ks) >= 7 && memcmp(ks, "export ", 7) == 0)
		ks += 7;
	if (ks == ke)
		return -EINVAL; /* empty key */
	/* Only the first character is checked: envparse's test of the
	 * others accepts anything. */
	unsigned char k0 = (unsigned char)*ks;
	if (k0 < 'A' || (k0 > 'Z' && k0 < 'a' && k0 != '_') || k0 > 'z')
		return -EINVAL;

	int slot = -1;
	for (int i = 0; i < OS_NKEYS; i++)
		if (strlen(os_keys[i]) == (size_t)(ke - ks) &&
		    memcmp(os_keys[i], ks, (size_t)(ke - ks)) == 0)
			slot = i;

	size_t start = op->store.len;
	if (!buf_reserve(&op->store, (size_t)(ve - vs) + 1))
		return -ENOMEM;
	char *out = op->store.data + start;
	size_t n = 0, last_sig = 0;
	enum { NORMAL, DOUBLE, SINGLE, ESCAPE } mode = NORMAL;
	for (const char *p = vs; p < ve; p++) {
		unsigned char v = (unsigned char)*p;
		if (v < 32)
			return -EINVAL; /* control characters, tabs too */
		if (v > 127) {
			/* part of a multibyte character: passed through */
			if (mode == ESCAPE)
				return -EINVAL;
			out[n++] = (char)v;
			last_sig = n;
			continue;
		}
		switch (mode) {
		case NORMAL:
			if (v == '"') {
				mode = DOUBLE;
			} else if (v == '\'') {
				mode = SINGLE;
			} else if (v == '#') {
				/* comment: drop it and the blanks before */
				n = last_sig;
				goto done;
			} else {
				out[n++] = (char)v;
				if (v != ' ')
					last_sig = n;
			}
			break;
		case DOUBLE:
			if (v == '"') {
				mode = NORMAL;
			} else if (v == '\\') {
				mode = ESCAPE;
			} else {
				out[n++] = (char)v;
				last_sig = n;
			}
			break;
		case ESCAPE:
			if (v == '"' || v == '\\')
				out[n++] = (char)v;
			else if (v == 'n')
				out[n++] = '\n';
			else if (v == 't')
				out[n++] = '\t';
			else
				return -EINVAL;
			last_sig = n;
			mode = DOUBLE;
			break;
		case SINGLE:
			if (v == '\'') {
				mode = NORMAL;
			} else {
				out[n++] = (char)v;
				last_sig = n;
			}
			break;
		}
	}
	if (mode != NORMAL)
		return -EINVAL; /* unmatched quote or incomplete escape */
done:
	out[n] = '\0';
	if (slot >= 0) {
		op->store.len = start + n + 1;
		op->off[slot] = start;
		op->set[slot] = true;
	}
	return 0;
}

static int os_parse(struct os_priv *op, const char *data)
{
	buf_reset(&op->store);
	memset(op->set, 0, sizeof(op->set));
	for (const char *line = data; *line; line = next_line(line)) {
		const char *end = strchr(line, '\n');
		if (!end)
			end = line + strlen(line);
		if (end - line >= OS_MAX_LINE)
			return -EINVAL; /* bufio.ErrTooLong */
		int rc = os_parse_line(op, line, end);
		if (rc < 0)
			return rc;
	}
	for (int i = 0; i < OS_NKEYS; i++) {
		op->val[i] = op->set[i] ? op->store.data + op->off[i] : "";
		/* client_golang refuses non-UTF-8 label values (node_exporter
		 * panics); fail instead. */
		if (!go_valid_utf8(op->val[i], strlen(op->val[i])))
			return -EILSEQ;
	}
	return 0;
}

/* versionRegex `^[0-9]+\.?[0-9]*` then strconv.ParseFloat. */
static double os_version(const char *v)
{
	char tmp[64];
	size_t n = 0;
	while (v[n] >= '0' && v[n] <= '9')
		n++;
	if (n == 0)
		return 0;
	if (v[n] == '.')
		for (n++; v[n] >= '0' && v[n] <= '9'; n++)
			;
	if (n >= sizeof(tmp))
		return 0; /* cannot be a real OS version */
	memcpy(tmp, v, n);
	tmp[n] = '\0';
	return strtod(tmp, NULL);
}

static int os_collect(struct hw_ctx *ctx, struct sink *sink)
{
	static const char *const files[] = {"etc/os-release",
					    "usr/lib/os-release"};
	struct os_priv *op = ctx->priv;
	int rc = -ENOENT;
	char path[PATH_MAX];
	struct stat st;
	size_t i;
	/* Only a file that does not exist moves on to the next one. */
	for (i = 0; i < 2 && rc == -ENOENT; i++) {
		rc = path_join(path, sizeof(path), ctx->cfg->rootfs, files[i]);
		if (rc == 0 && stat(path, &st) < 0)
			rc = -errno;
	}
	i--;
	if (rc < 0)
		goto out;
	if (!(op->parsed && op->which == i && os_same_file(&op->st, &st))) {
		op->parsed = false;
		rc = readfile_at(AT_FDCWD, path, &ctx->buf, OS_MAX_FILE);
		if (rc < 0)
			goto out;
		rc = os_parse(op, ctx->buf.data);
		if (rc < 0)
			goto out;
		op->parsed = true;
		op->which = i;
		op->st = st;
	}

	struct hw_label l[OS_NKEYS];
	for (int k = 0; k < OS_NKEYS; k++) {
		l[k].name = os_labels[k];
		l[k].value = op->val[k];
	}
	sink_family(sink, "node_os_info",
		    "A metric with a constant '1' value labeled by build_id, id, id_like, image_id, image_version, name, pretty_name, variant, variant_id, version, version_codename, version_id.",
		    HW_GAUGE);
	sink_sample(sink, l, OS_NKEYS, 1.0);
	double version = os_version(op->val[OS_VERSION_ID]);
	if (version > 0) {
		struct hw_label vl[] = {{"id", op->val[OS_ID]},
					{"id_like", op->val[OS_ID_LIKE]},
					{"name", op->val[OS_NAME]}};
		sink_family(sink, "node_os_version",
			    "Metric containing the major.minor part of the OS version.",
			    HW_GAUGE);
		sink_sample(sink, vl, 3, version);
	}
out:
	return rc;
}

const struct collector collector_os = {
	.name = "os",
	.enabled_by_default = true,
	.init = os_init,
	.collect = os_collect,
	.fini = os_fini,
};
