/* YAML files through libyaml's document API (yaml_parser_load): the whole
 * file becomes a node tree whose nodes keep their start marks, so that rule
 * file and test file errors can name the line of the offending node the way
 * promtool does (gopkg.in/yaml.v3 reports "yaml: line N: problem"). */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "promql_internal.h"
#include "yamldoc.h"

int yamldoc_load(struct yamldoc *d, const char *path, char *err,
		 size_t errsize)
{
	yaml_parser_t parser;
	FILE *f;
	int r = 0;

	memset(d, 0, sizeof(*d));
	d->path = path;
	f = fopen(path, "rb");
	if (!f) {
		r = -errno;
		snprintf(err, errsize, "%s: %s", path, strerror(errno));
		return r;
	}
	if (!yaml_parser_initialize(&parser)) {
		r = -ENOMEM;
		snprintf(err, errsize, "%s: out of memory", path);
		goto out_file;
	}
	yaml_parser_set_input_file(&parser, f);
	if (!yaml_parser_load(&parser, &d->doc)) {
		/* libyaml has already freed the partial document. */
		if (parser.error == YAML_MEMORY_ERROR) {
			r = -ENOMEM;
			snprintf(err, errsize, "%s: out of memory", path);
		} else if (ferror(f)) {
			r = -EIO;
			snprintf(err, errsize, "%s: read error", path);
		} else {
			r = -EINVAL;
			/* yaml.v3 prints only the problem (not libyaml's
			 * "while parsing ..." context) with its line. */
			snprintf(err, errsize, "%s:%zu: yaml: %s", path,
				 parser.problem_mark.line + 1,
				 parser.problem ? parser.problem : "syntax error");
		}
		goto out_parser;
	}
	d->loaded = true;
out_parser:
	yaml_parser_delete(&parser);
out_file:
	fclose(f);
	return r;
}

void yamldoc_free(struct yamldoc *d)
{
	if (d->loaded)
		yaml_document_delete(&d->doc);
	d->loaded = false;
}

yaml_node_t *yamldoc_root(struct yamldoc *d)
{
	if (!d->loaded)
		return NULL;
	return yaml_document_get_root_node(&d->doc);
}

yaml_node_t *yamldoc_map_get(struct yamldoc *d, yaml_node_t *map,
			     const char *key)
{
	yaml_node_pair_t *p;

	if (!map || map->type != YAML_MAPPING_NODE)
		return NULL;
	for (p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top;
	     p++) {
		yaml_node_t *k = yaml_document_get_node(&d->doc, p->key);
		const char *ks = yamldoc_scalar(k);
		if (ks && strcmp(ks, key) == 0)
			return yaml_document_get_node(&d->doc, p->value);
	}
	return NULL;
}

const char *yamldoc_scalar(yaml_node_t *n)
{
	if (!n || n->type != YAML_SCALAR_NODE)
		return NULL;
	return (const char *)n->data.scalar.value;
}

int yamldoc_line(const yaml_node_t *n)
{
	return n ? (int)n->start_mark.line + 1 : 0;
}

int yamldoc_errf(struct yamldoc *d, const yaml_node_t *n, char *err,
		 size_t errsize, const char *fmt, ...)
{
	va_list ap;
	int len;

	len = snprintf(err, errsize, "%s:%d: ", d->path ? d->path : "",
		       yamldoc_line(n));
	if (len < 0 || (size_t)len >= errsize)
		return -EINVAL;
	va_start(ap, fmt);
	vsnprintf(err + len, errsize - (size_t)len, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

int yamldoc_duration(const char *s, int64_t *ms)
{
	if (!s)
		return -EINVAL;
	return promql_parse_duration(s, ms);
}

bool yamldoc_is_null(const yaml_node_t *n)
{
	if (!n)
		return true;
	if (n->type != YAML_SCALAR_NODE ||
	    n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return false;
	const char *s = (const char *)n->data.scalar.value;
	return !*s || strcmp(s, "~") == 0 || strcmp(s, "null") == 0 ||
	       strcmp(s, "Null") == 0 || strcmp(s, "NULL") == 0;
}
