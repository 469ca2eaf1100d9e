/* Label sets: one allocation per set, sorted by name, hashed once, shared by
 * reference count. Order, equality and the text form follow Prometheus 2.42
 * (model/labels/labels.go for Compare, common/model/metric.go for the
 * `name{a="1"}` form, Go's strconv.Quote for the quoting). See labels.h. */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "hostwatch/labels.h"

/* A pair and its position in the caller's array: sorting by (name, index)
 * makes the sort stable, so that "the last pair wins" is well defined. */
struct lb_ref {
	const struct hw_label *p;
	size_t i;
};

#define LB_STACK 64

static int lb_ref_cmp(const void *a, const void *b)
{
	const struct lb_ref *x = a, *y = b;
	int c = strcmp(x->p->name, y->p->name);
	if (c)
		return c;
	return x->i < y->i ? -1 : x->i > y->i;
}

static bool lb_empty(const char *v)
{
	return !v || !*v;
}

/* Allocate and fill a set from pairs already sorted, unique and non-empty. */
static struct hw_labels *labels_pack(struct lb_ref *r, size_t n)
{
	size_t size = sizeof(struct hw_labels) + n * sizeof(struct hw_label);
	for (size_t i = 0; i < n; i++)
		size += strlen(r[i].p->name) + strlen(r[i].p->value) + 2;
	struct hw_labels *ls = malloc(size);
	if (!ls)
		return NULL;
	ls->refs = 1;
	ls->n = n;
	char *s = (char *)&ls->l[n];
	uint64_t h = labels_hash_init();
	for (size_t i = 0; i < n; i++) {
		size_t ln = strlen(r[i].p->name) + 1;
		size_t lv = strlen(r[i].p->value) + 1;
		memcpy(s, r[i].p->name, ln);
		ls->l[i].name = s;
		s += ln;
		memcpy(s, r[i].p->value, lv);
		ls->l[i].value = s;
		s += lv;
		h = labels_hash_add(h, ls->l[i].name, ls->l[i].value);
	}
	ls->hash = labels_hash_end(h);
	return ls;
}

/* Sets are usually small and their pairs nearly sorted (collectors pass
 * them sorted), so the temporary array lives on the stack when it fits. */
struct hw_labels *labels_new(const struct hw_label *pairs, size_t n)
{
	struct lb_ref stack[LB_STACK], *r = stack;
	struct hw_labels *ls = NULL;
	if (n > LB_STACK) {
		r = malloc(n * sizeof(*r));
		if (!r)
			return NULL;
	}
	bool sorted = true;
	for (size_t i = 0; i < n; i++) {
		r[i].p = &pairs[i];
		r[i].i = i;
		if (i && strcmp(pairs[i - 1].name, pairs[i].name) >= 0)
			sorted = false;
	}
	if (!sorted)
		qsort(r, n, sizeof(*r), lb_ref_cmp); /* n > 1 when unsorted */
	/* Keep the last of each run of equal names, then drop empty values:
	 * a repeated name whose last value is empty ends up absent. */
	size_t m = 0;
	for (size_t i = 0; i < n; i++) {
		if (i + 1 < n && strcmp(r[i].p->name, r[i + 1].p->name) == 0)
			continue;
		if (lb_empty(r[i].p->value))
			continue;
		r[m++] = r[i];
	}
	ls = labels_pack(r, m);
	if (r != stack)
		free(r);
	return ls;
}

struct hw_labels *labels_ref(struct hw_labels *ls)
{
	if (ls)
		ls->refs++;
	return ls;
}

void labels_unref(struct hw_labels *ls)
{
	if (ls && --ls->refs == 0)
		free(ls);
}

/* Binary search: sets are sorted by name. */
const char *labels_get(const struct hw_labels *ls, const char *name)
{
	if (!ls)
		return NULL;
	size_t lo = 0, hi = ls->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(ls->l[mid].name, name);
		if (c == 0)
			return ls->l[mid].value;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

bool labels_equal(const struct hw_labels *a, const struct hw_labels *b)
{
	if (a == b)
		return true;
	size_t na = a ? a->n : 0, nb = b ? b->n : 0;
	if (na != nb)
		return false;
	if (na == 0)
		return true;
	if (a->hash != b->hash)
		return false;
	for (size_t i = 0; i < na; i++)
		if (strcmp(a->l[i].name, b->l[i].name) ||
		    strcmp(a->l[i].value, b->l[i].value))
			return false;
	return true;
}

/* model/labels/labels.go Compare: pair by pair, name then value (Go string
 * order is byte order, as strcmp's), and a prefix before the longer set. */
int labels_cmp(const struct hw_labels *a, const struct hw_labels *b)
{
	size_t na = a ? a->n : 0, nb = b ? b->n : 0;
	size_t n = na < nb ? na : nb;
	for (size_t i = 0; i < n; i++) {
		int c = strcmp(a->l[i].name, b->l[i].name);
		if (c)
			return c < 0 ? -1 : 1;
		c = strcmp(a->l[i].value, b->l[i].value);
		if (c)
			return c < 0 ? -1 : 1;
	}
	return na < nb ? -1 : na > nb;
}

/* ---- text form --------------------------------------------------------- */

/* Decode one UTF-8 sequence as Go's utf8.DecodeRuneInString does: overlong
 * forms, surrogates and values past U+10FFFF are invalid, and an invalid
 * sequence consumes one byte. Returns the length, 0 when invalid. */
static size_t utf8_decode(const unsigned char *s, uint32_t *r)
{
	unsigned char c = s[0];
	unsigned char lo = 0x80, hi = 0xbf;
	size_t len;
	if (c < 0x80) {
		*r = c;
		return 1;
	}
	if (c >= 0xc2 && c <= 0xdf) {
		len = 2;
		*r = c & 0x1f;
	} else if (c >= 0xe0 && c <= 0xef) {
		len = 3;
		*r = c & 0x0f;
		if (c == 0xe0)
			lo = 0xa0;
		else if (c == 0xed)
			hi = 0x9f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		len = 4;
		*r = c & 0x07;
		if (c == 0xf0)
			lo = 0x90;
		else if (c == 0xf4)
			hi = 0x8f;
	} else {
		return 0;
	}
	for (size_t i = 1; i < len; i++) {
		unsigned char b = s[i];
		if (b < lo || b > hi)
			return 0; /* also stops at the NUL */
		lo = 0x80;
		hi = 0xbf;
		*r = (*r << 6) | (b & 0x3f);
	}
	return len;
}

/* Go's unicode.IsPrint for runes >= 0x80, approximated: the C1 controls,
 * the non-ASCII spaces (Zs, Zl, Zp), the common format characters (Cf),
 * private use areas and the noncharacters are not printable; the rest of
 * the assigned planes is taken as printable (Go would also escape
 * unassigned code points, which no real label value holds). */
static bool rune_printable(uint32_t r)
{
	static const struct {
		uint32_t lo, hi;
	} np[] = {
		{0x80, 0xa0},	  {0xad, 0xad},	    {0x600, 0x605},
		{0x61c, 0x61c},	  {0x6dd, 0x6dd},   {0x70f, 0x70f},
		{0x1680, 0x1680}, {0x180e, 0x180e}, {0x2000, 0x200f},
		{0x2028, 0x202f}, {0x205f, 0x206f}, {0x3000, 0x3000},
		{0xd800, 0xf8ff}, {0xfdd0, 0xfdef}, {0xfeff, 0xfeff},
		{0xfff9, 0xfffb}, {0xfffe, 0xffff}, {0xe0001, 0xe007f},
		{0xf0000, 0x10ffff},
	};
	for (size_t i = 0; i < sizeof(np) / sizeof(np[0]); i++)
		if (r >= np[i].lo && r <= np[i].hi)
			return false;
	return (r & 0xfffe) != 0xfffe;
}

/* Go's strconv.Quote (strconv/quote.go appendQuotedWith). */
static void labels_quote(struct hw_buf *b, const char *str)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *s = (const unsigned char *)str;
	buf_putc(b, '"');
	while (*s) {
		uint32_t r;
		size_t len = utf8_decode(s, &r);
		if (len == 0) {
			char e[4] = {'\\', 'x', hex[*s >> 4], hex[*s & 15]};
			buf_put(b, e, 4);
			s++;
			continue;
		}
		if (r == '"' || r == '\\') {
			buf_putc(b, '\\');
			buf_putc(b, (char)r);
		} else if (r >= 0x80 ? rune_printable(r) : (r >= 0x20 && r < 0x7f)) {
			buf_put(b, (const char *)s, len);
		} else {
			const char *esc = NULL;
			switch (r) {
			case '\a': esc = "\\a"; break;
			case '\b': esc = "\\b"; break;
			case '\f': esc = "\\f"; break;
			case '\n': esc = "\\n"; break;
			case '\r': esc = "\\r"; break;
			case '\t': esc = "\\t"; break;
			case '\v': esc = "\\v"; break;
			}
			if (esc)
				buf_puts(b, esc);
			else if (r < 0x80)
				buf_printf(b, "\\x%02x", (unsigned)r);
			else if (r < 0x10000)
				buf_printf(b, "\\u%04x", (unsigned)r);
			else
				buf_printf(b, "\\U%08x", (unsigned)r);
		}
		s += len;
	}
	buf_putc(b, '"');
}

/* common/model/metric.go Metric.String(): the name, then the other pairs in
 * braces separated by ", "; the name alone when there is nothing else;
 * "{}" for an empty set. */
void labels_format(const struct hw_labels *ls, struct hw_buf *b)
{
	const char *name = labels_get(ls, LABEL_NAME);
	size_t n = ls ? ls->n : 0;
	if (name)
		buf_puts(b, name);
	if (name && n == 1)
		return;
	buf_putc(b, '{');
	bool first = true;
	for (size_t i = 0; i < n; i++) {
		if (strcmp(ls->l[i].name, LABEL_NAME) == 0)
			continue;
		if (!first)
			buf_put(b, ", ", 2);
		first = false;
		buf_puts(b, ls->l[i].name);
		buf_putc(b, '=');
		labels_quote(b, ls->l[i].value);
	}
	buf_putc(b, '}');
}

/* model/labels/labels.go Labels.String(): every pair, __name__ included,
 * in braces: `{__name__="up", job="x"}` (promtool's messages use it). */
void labels_format_braces(const struct hw_labels *ls, struct hw_buf *b)
{
	size_t n = ls ? ls->n : 0;
	buf_putc(b, '{');
	for (size_t i = 0; i < n; i++) {
		if (i)
			buf_put(b, ", ", 2);
		buf_puts(b, ls->l[i].name);
		buf_putc(b, '=');
		labels_quote(b, ls->l[i].value);
	}
	buf_putc(b, '}');
}

/* ---- builder ----------------------------------------------------------- */

void labels_builder_init(struct labels_builder *b, const struct hw_labels *base)
{
	/* only the counters: the arrays are read up to them (a memset of
	 * the whole builder was a third of rate()'s time) */
	b->base = base;
	b->nadd = b->ndel = b->nkeep = 0;
	b->keep_only = false;
	b->keep = NULL;
	b->overflow = false;
}

static bool lb_in(const char *const *names, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(names[i], name) == 0)
			return true;
	return false;
}

/* Prometheus's labels.Builder: the last edit of a name wins, so a set
 * replaces an earlier del of the same name and the other way round. */
void labels_builder_set(struct labels_builder *b, const char *name,
			const char *value)
{
	if (lb_empty(value)) {
		labels_builder_del(b, name);
		return;
	}
	for (size_t i = 0; i < b->ndel; i++)
		if (strcmp(b->del[i], name) == 0) {
			b->del[i] = b->del[--b->ndel];
			break;
		}
	for (size_t i = 0; i < b->nadd; i++)
		if (strcmp(b->add[i].name, name) == 0) {
			b->add[i].value = value;
			return;
		}
	if (b->nadd == LABELS_BUILDER_MAX) {
		b->overflow = true;
		return;
	}
	b->add[b->nadd].name = name;
	b->add[b->nadd++].value = value;
}

void labels_builder_del(struct labels_builder *b, const char *name)
{
	for (size_t i = 0; i < b->nadd; i++)
		if (strcmp(b->add[i].name, name) == 0) {
			b->add[i] = b->add[--b->nadd];
			break;
		}
	if (lb_in(b->del, b->ndel, name))
		return;
	if (b->ndel == LABELS_BUILDER_MAX) {
		b->overflow = true;
		return;
	}
	b->del[b->ndel++] = name;
}

void labels_builder_keep(struct labels_builder *b, const char *const *names,
			 size_t n)
{
	b->keep_only = true;
	b->keep = names;
	b->nkeep = n;
}

/* Merge the base (filtered by keep and del, minus the names set) with the
 * set pairs. When the result would equal the base, the base itself is
 * returned with one more reference: derived sets are often unchanged. */
struct hw_labels *labels_builder_done(struct labels_builder *b)
{
	if (b->overflow)
		return NULL;
	const struct hw_labels *base = b->base;
	size_t nbase = base ? base->n : 0;
	size_t cap = nbase + b->nadd;
	struct lb_ref stack[LB_STACK], *r = stack;
	struct hw_labels *ls = NULL;
	bool changed = false;
	if (cap > LB_STACK) {
		r = malloc(cap * sizeof(*r));
		if (!r)
			return NULL;
	}
	size_t m = 0;
	for (size_t i = 0; i < nbase; i++) {
		const struct hw_label *l = &base->l[i];
		if ((b->keep_only && !lb_in(b->keep, b->nkeep, l->name)) ||
		    lb_in(b->del, b->ndel, l->name)) {
			changed = true;
			continue;
		}
		bool replaced = false;
		for (size_t j = 0; j < b->nadd; j++)
			if (strcmp(b->add[j].name, l->name) == 0) {
				replaced = true;
				if (strcmp(b->add[j].value, l->value))
					changed = true;
			}
		if (!replaced)
			r[m++].p = l;
	}
	for (size_t j = 0; j < b->nadd; j++) {
		if (!labels_get(base, b->add[j].name))
			changed = true;
		r[m++].p = &b->add[j];
	}
	if (!changed && base) {
		ls = labels_ref((struct hw_labels *)base);
		goto out;
	}
	for (size_t i = 0; i < m; i++)
		r[i].i = i;
	if (m > 1)
		qsort(r, m, sizeof(*r), lb_ref_cmp);
	ls = labels_pack(r, m);
out:
	if (r != stack)
		free(r);
	return ls;
}

/* Prometheus's HashForLabels / HashWithoutLabels (model/labels/labels.go),
 * with this file's hash: hashing a whole set without __name__ through
 * include = false gives the same value as its hw_labels.hash. */
uint64_t labels_hash_subset(const struct hw_labels *ls,
			    const char *const *names, size_t n, bool include)
{
	uint64_t h = labels_hash_init();
	size_t nl = ls ? ls->n : 0;
	for (size_t i = 0; i < nl; i++) {
		const struct hw_label *l = &ls->l[i];
		bool in = lb_in(names, n, l->name);
		if (include ? !in : (in || strcmp(l->name, LABEL_NAME) == 0))
			continue;
		h = labels_hash_add(h, l->name, l->value);
	}
	return labels_hash_end(h);
}
