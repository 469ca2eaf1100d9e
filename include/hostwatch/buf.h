/* Growable byte buffer, reused across scrapes: it grows to the largest
 * response seen and then stays there, so steady-state scrapes allocate
 * nothing. An allocation failure sets `failed` instead of aborting; the
 * caller checks it once at the end. */
#ifndef HOSTWATCH_BUF_H
#define HOSTWATCH_BUF_H

#include <stdbool.h>
#include <stddef.h>
#include <string.h>

struct hw_buf {
	char *data;
	size_t len;
	size_t cap;
	bool failed;
};

#define HW_BUF_INIT {NULL, 0, 0, false}

/* buf_reserve's slow path: grow the buffer. */
bool buf_grow(struct hw_buf *b, size_t extra);

/* Make sure at least `extra` more bytes fit; false (and failed set) when
 * memory cannot be had. One more byte is always left for buf_cstr's NUL.
 * Inline, as the writers call it per label and number: in steady state the
 * buffer never grows. */
static inline bool buf_reserve(struct hw_buf *b, size_t extra)
{
	if (extra < b->cap - b->len && !b->failed)
		return true;
	return buf_grow(b, extra);
}

/* Forget the contents, keep the memory. */
void buf_reset(struct hw_buf *b);
void buf_free(struct hw_buf *b);

static inline void buf_put(struct hw_buf *b, const char *s, size_t n)
{
	if (!buf_reserve(b, n))
		return;
	/* memcpy from NULL is undefined even for 0 bytes (an empty source
	 * buffer's data is NULL) */
	if (n == 0)
		return;
	memcpy(b->data + b->len, s, n);
	b->len += n;
}

static inline void buf_puts(struct hw_buf *b, const char *s)
{
	buf_put(b, s, strlen(s));
}

static inline void buf_putc(struct hw_buf *b, char c)
{
	if (!buf_reserve(b, 1))
		return;
	b->data[b->len++] = c;
}

void buf_printf(struct hw_buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* NUL-terminate without counting the NUL in len. */
const char *buf_cstr(struct hw_buf *b);

#endif
