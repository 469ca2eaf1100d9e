/* The alert as notifications see it: copies, Alertmanager's fingerprint,
 * the severity and the threshold of a rule's expression. */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "hostwatch/notify.h"
#include "hostwatch/promql.h"

uint64_t notify_fingerprint(const struct hw_labels *ls)
{
	/* prometheus/common model/signature.go labelSetToFingerprint: the
	 * same FNV-1a and 0xff separators as labels_hash_add, without our
	 * finaliser; an empty set is hashNew() as well. */
	uint64_t h = labels_hash_init();
	for (size_t i = 0; ls && i < ls->n; i++)
		h = labels_hash_add(h, ls->l[i].name, ls->l[i].value);
	return h;
}

void notify_alert_free(struct notify_alert *a)
{
	if (!a)
		return;
	labels_unref(a->labels);
	for (size_t i = 0; i < a->nannotations; i++) {
		free(a->annotations[i].key);
		free(a->annotations[i].value);
	}
	free(a->annotations);
	free(a->expr);
	free(a->generator_url);
	memset(a, 0, sizeof(*a));
}

static int dup_or_null(char **dst, const char *s)
{
	*dst = NULL;
	if (!s)
		return 0;
	*dst = strdup(s);
	return *dst ? 0 : -ENOMEM;
}

int notify_alert_copy(struct notify_alert *dst, const struct notify_alert *src)
{
	*dst = *src;
	dst->labels = src->labels ? labels_ref(src->labels) : NULL;
	dst->annotations = NULL;
	dst->nannotations = 0;
	dst->expr = dst->generator_url = NULL;
	if (src->nannotations) {
		dst->annotations = calloc(src->nannotations,
					  sizeof(*dst->annotations));
		if (!dst->annotations)
			goto fail;
		for (size_t i = 0; i < src->nannotations; i++) {
			dst->nannotations++;
			if (dup_or_null(&dst->annotations[i].key,
					src->annotations[i].key) < 0 ||
			    dup_or_null(&dst->annotations[i].value,
					src->annotations[i].value) < 0)
				goto fail;
		}
	}
	if (dup_or_null(&dst->expr, src->expr) < 0 ||
	    dup_or_null(&dst->generator_url, src->generator_url) < 0)
		goto fail;
	return 0;
fail:
	notify_alert_free(dst);
	return -ENOMEM;
}

const char *notify_annotation(const struct notify_alert *a, const char *key)
{
	for (size_t i = 0; i < a->nannotations; i++)
		if (strcmp(a->annotations[i].key, key) == 0)
			return a->annotations[i].value;
	return NULL;
}

const char *notify_severity(const struct notify_alert *a, char *buf,
			    size_t size)
{
	const char *s = a->labels ? labels_get(a->labels, "severity") : NULL;
	if (!s || size == 0)
		return "";
	size_t i = 0;
	for (; s[i] && i + 1 < size; i++)
		buf[i] = (char)tolower((unsigned char)s[i]);
	buf[i] = '\0';
	return buf;
}

static const struct promql_node *unparen(const struct promql_node *n)
{
	while (n && n->kind == PROMQL_PAREN)
		n = n->u.paren;
	return n;
}

static bool is_number(const struct promql_node *n, double *v)
{
	n = unparen(n);
	if (n && n->kind == PROMQL_UNARY && n->u.unary.op == '-') {
		if (!is_number(n->u.unary.expr, v))
			return false;
		*v = -*v;
		return true;
	}
	if (!n || n->kind != PROMQL_NUMBER)
		return false;
	*v = n->u.number;
	return true;
}

bool notify_threshold(const char *expr, double *threshold, const char **op)
{
	/* As written from the value's side: for `80 < x` the value is > 80. */
	static const struct {
		enum promql_binop op;
		const char *fwd, *rev;
	} cmp[] = {
		{PROMQL_OP_GT, ">", "<"},   {PROMQL_OP_LT, "<", ">"},
		{PROMQL_OP_GE, ">=", "<="}, {PROMQL_OP_LE, "<=", ">="},
		{PROMQL_OP_EQ, "==", "=="}, {PROMQL_OP_NE, "!=", "!="},
	};
	struct promql_node *ast = NULL;
	struct promql_error err;
	bool found = false;
	if (!expr || promql_parse(expr, &ast, &err) < 0)
		return false;
	const struct promql_node *n = unparen(ast);
	if (n && n->kind == PROMQL_BINARY) {
		for (size_t i = 0; i < sizeof(cmp) / sizeof(cmp[0]); i++) {
			if (cmp[i].op != n->u.binary.op)
				continue;
			if (is_number(n->u.binary.rhs, threshold)) {
				*op = cmp[i].fwd;
				found = true;
			} else if (is_number(n->u.binary.lhs, threshold)) {
				*op = cmp[i].rev;
				found = true;
			}
		}
	}
	promql_free(ast);
	return found;
}
