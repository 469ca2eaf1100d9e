/* Growable byte buffer, reused across scrapes: it grows to the largest
 * response seen and then stays there, so steady-state scrapes allocate
 * nothing. An allocation failure sets `failed` instead of aborting; the
 * caller checks it once at the end. */
#ifndef HOSTWATCH_BUF_H
#define HOSTWATCH_BUF_H

#include <stdbool.h>
#include <stddef.h>

struct hw_buf {
	char *data;
	size_t len;
	size_t cap;
	bool failed;
};

#define HW_BUF_INIT {NULL, 0, 0, false}

/* Make sure at least `extra` more bytes fit; false (and failed set) when
 * memory cannot be had. */
bool buf_reserve(struct hw_buf *b, size_t extra);
/* Forget the contents, keep the memory. */
void buf_reset(struct hw_buf *b);
void buf_free(struct hw_buf *b);
void buf_put(struct hw_buf *b, const char *s, size_t n);
void buf_puts(struct hw_buf *b, const char *s);
void buf_putc(struct hw_buf *b, char c);
void buf_printf(struct hw_buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* NUL-terminate without counting the NUL in len. */
const char *buf_cstr(struct hw_buf *b);

#endif
