/* [server] allow: the client networks that may connect, as CIDR prefixes.
 *
 * Every prefix is kept in IPv6 form: an IPv4 one as its IPv4-mapped address
 * (::ffff:a.b.c.d, RFC 4291 2.5.5.2) with 96 added to its length. A peer is
 * turned into the same form, so an IPv4 client reaching a dual-stack socket
 * (where the kernel shows it as ::ffff:a.b.c.d) matches IPv4 entries, and a
 * match is one masked compare whatever the family. */
#ifndef HOSTWATCH_NETACL_H
#define HOSTWATCH_NETACL_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

struct hw_cidr {
	unsigned char addr[16]; /* network address, host bits zero */
	unsigned char bits;     /* prefix length over the 128-bit form */
};

/* At most this many prefixes in one list: the check is a linear walk done
 * at every accept, and a longer list belongs in a firewall. */
#define NETACL_MAX 256

/* Parse one "10.0.0.0/8", "::1/128", "fe80::/10" or a bare address (a /32 or
 * /128 prefix). Host bits set ("10.0.0.1/8") are refused: they usually mean
 * a typo. 0, or -EINVAL with `why` set. */
int netacl_parse(const char *s, struct hw_cidr *out, char *why,
		 size_t whysize);

/* Parse a list separated by commas and/or blanks, appending to *list
 * (realloc'd; *n entries). 0, -EINVAL with `why` (naming the bad entry) or
 * -ENOMEM. */
int netacl_parse_list(const char *v, struct hw_cidr **list, size_t *n,
		      char *why, size_t whysize);

/* Whether the peer address `sa` falls in one of the n prefixes. An empty
 * list allows everyone; an address of another family (AF_UNIX) never
 * matches a non-empty list. */
bool netacl_allows(const struct hw_cidr *list, size_t n,
		   const struct sockaddr *sa, socklen_t len);

/* "10.0.0.0/8" or "::1/128" (IPv4-mapped prefixes printed as IPv4), for
 * logs; dst at least 64 bytes. */
void netacl_format(const struct hw_cidr *c, char *dst, size_t size);

#endif
