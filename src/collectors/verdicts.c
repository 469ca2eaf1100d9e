/* Filter verdicts remembered per position: see verdicts.h. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "verdicts.h"

bool verdicts_ignored(struct verdicts *vs, const struct hw_filter *f,
		      size_t pos, const char *name)
{
	/* No regex: nothing worth remembering. */
	if (!f->has_include && !f->has_exclude)
		return false;
	if (pos >= VERDICTS_MAX)
		return filter_ignored(f, name);
	if (pos >= vs->n) {
		size_t n = vs->n ? vs->n : 16;
		while (n <= pos)
			n *= 2;
		struct verdict *v = realloc(vs->v, n * sizeof(*v));
		if (!v)
			return filter_ignored(f, name);
		memset(v + vs->n, 0, (n - vs->n) * sizeof(*v));
		vs->v = v;
		vs->n = n;
	}
	struct verdict *v = &vs->v[pos];
	if (v->name && strcmp(v->name, name) == 0)
		return v->ignored;
	bool ignored = filter_ignored(f, name);
	free(v->name);
	v->name = strdup(name); /* NULL when short of memory: asked again */
	v->ignored = ignored;
	return ignored;
}

void verdicts_free(struct verdicts *vs)
{
	for (size_t i = 0; i < vs->n; i++)
		free(vs->v[i].name);
	free(vs->v);
	vs->v = NULL;
	vs->n = 0;
}
