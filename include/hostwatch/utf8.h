/* UTF-8 as Go decodes it (utf8.DecodeRuneInString, RFC 3629): the one
 * validity rule behind the exposition writer's label escaping and the
 * notification bodies' JSON and text. */
#ifndef HOSTWATCH_UTF8_H
#define HOSTWATCH_UTF8_H

#include <stddef.h>
#include <stdint.h>

/* Length of the valid UTF-8 sequence at s (1-4; 1 for any ASCII byte, NUL
 * included), or 0 when it is not one: a stray continuation byte, a
 * truncated sequence, an overlong form, a surrogate, a value past
 * U+10FFFF. Inline: the writer calls it on the scrape path. */
static inline size_t utf8_seq_len(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	if (p[0] < 0x80)
		return 1;
	size_t n;
	uint32_t cp;
	if ((p[0] & 0xe0) == 0xc0) {
		n = 2;
		cp = p[0] & 0x1f;
	} else if ((p[0] & 0xf0) == 0xe0) {
		n = 3;
		cp = p[0] & 0x0f;
	} else if ((p[0] & 0xf8) == 0xf0) {
		n = 4;
		cp = p[0] & 0x07;
	} else {
		return 0;
	}
	for (size_t i = 1; i < n; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (p[i] & 0x3f);
	}
	/* Reject overlong forms, surrogates and values past U+10FFFF. */
	static const uint32_t min[5] = {0, 0, 0x80, 0x800, 0x10000};
	if (cp < min[n] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return n;
}

#endif
