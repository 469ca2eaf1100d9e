/* Growable byte buffer: see include/hostwatch/buf.h. */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hostwatch/buf.h"

bool buf_grow(struct hw_buf *b, size_t extra)
{
	if (b->failed)
		return false;
	if (extra < b->cap - b->len)
		return true;
	size_t cap = b->cap ? b->cap : 4096;
	while (cap - b->len <= extra) {
		if (cap > ((size_t)-1) / 2) {
			b->failed = true;
			return false;
		}
		cap *= 2;
	}
	char *p = realloc(b->data, cap);
	if (!p) {
		b->failed = true;
		return false;
	}
	b->data = p;
	b->cap = cap;
	return true;
}

void buf_reset(struct hw_buf *b)
{
	b->len = 0;
	b->failed = false;
	if (b->data)
		b->data[0] = '\0';
}

void buf_free(struct hw_buf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = b->cap = 0;
	b->failed = false;
}

void buf_printf(struct hw_buf *b, const char *fmt, ...)
{
	va_list ap;
	size_t room = b->cap - b->len;
	va_start(ap, fmt);
	int n = b->data ? vsnprintf(b->data + b->len, room, fmt, ap) : -1;
	va_end(ap);
	if (b->data && n >= 0 && (size_t)n < room) {
		b->len += (size_t)n;
		return;
	}
	if (n < 0) {
		va_start(ap, fmt);
		n = vsnprintf(NULL, 0, fmt, ap);
		va_end(ap);
		if (n < 0) {
			b->failed = true;
			return;
		}
	}
	if (!buf_reserve(b, (size_t)n + 1))
		return;
	va_start(ap, fmt);
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

const char *buf_cstr(struct hw_buf *b)
{
	if (!buf_reserve(b, 1))
		return "";
	b->data[b->len] = '\0';
	return b->data;
}
