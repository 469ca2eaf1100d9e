/* Reading YAML files (Prometheus rule files, promtool test files) through
 * libyaml's document API, with the file and line of every node at hand for
 * error messages. Shared by rulefile.c and the test-rules runner only. */
#ifndef HOSTWATCH_YAMLDOC_H
#define HOSTWATCH_YAMLDOC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <yaml.h>

struct yamldoc {
	yaml_document_t doc;
	bool loaded;
	const char *path; /* borrowed, for messages */
};

/* Load the first document of `path`. 0; -EINVAL with "PATH:LINE: msg" in
 * err for a YAML syntax error; -errno when the file cannot be read. An
 * empty file loads as a document without a root (yamldoc_root NULL). */
int yamldoc_load(struct yamldoc *d, const char *path, char *err,
		 size_t errsize);
void yamldoc_free(struct yamldoc *d);

yaml_node_t *yamldoc_root(struct yamldoc *d);
/* The value of `key` in a mapping node, or NULL (also when n is no map). */
yaml_node_t *yamldoc_map_get(struct yamldoc *d, yaml_node_t *map,
			     const char *key);
/* A scalar's text (NUL-terminated, owned by the document), or NULL. */
const char *yamldoc_scalar(yaml_node_t *n);
/* A YAML null (absent, `key:`, `~`, `null`): yaml.v3 leaves the Go field
 * unset, so Prometheus's loaders treat it as not given. */
bool yamldoc_is_null(const yaml_node_t *n);
/* 1-based line of a node. */
int yamldoc_line(const yaml_node_t *n);

/* Format "PATH:LINE: " + message into err; returns -EINVAL. */
int yamldoc_errf(struct yamldoc *d, const yaml_node_t *n, char *err,
		 size_t errsize, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

/* Prometheus's model.ParseDuration ("1m30s", "5m", "1d", "0"): 0 and *ms,
 * or -EINVAL. */
int yamldoc_duration(const char *s, int64_t *ms);

#endif
