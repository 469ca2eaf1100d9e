/* CIDR allow-lists for the HTTP listeners: see include/hostwatch/netacl.h. */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hostwatch/netacl.h"

#define WHY(...) (snprintf(why, whysize, __VA_ARGS__), -EINVAL)

static const unsigned char v4mapped[12] = {0, 0, 0, 0, 0,    0,
					   0, 0, 0, 0, 0xff, 0xff};

/* Keep the first `bits` bits of a 16-byte address. */
static void mask(unsigned char a[16], unsigned bits)
{
	for (unsigned i = 0; i < 16; i++) {
		unsigned keep = bits >= 8 ? 8 : bits;
		a[i] &= (unsigned char)(0xff00u >> keep);
		bits -= keep;
	}
}

int netacl_parse(const char *s, struct hw_cidr *out, char *why,
		 size_t whysize)
{
	char host[INET6_ADDRSTRLEN + 1];
	const char *slash = strchr(s, '/');
	size_t hl = slash ? (size_t)(slash - s) : strlen(s);
	if (hl == 0 || hl >= sizeof(host))
		return WHY("\"%s\" is not a network (like 10.0.0.0/8 or "
			   "::1/128)",
			   s);
	memcpy(host, s, hl);
	host[hl] = '\0';
	unsigned max, extra;
	struct in_addr a4;
	memset(out, 0, sizeof(*out));
	if (inet_pton(AF_INET, host, &a4) == 1) {
		memcpy(out->addr, v4mapped, 12);
		memcpy(out->addr + 12, &a4, 4);
		max = 32;
		extra = 96;
	} else if (inet_pton(AF_INET6, host, out->addr) == 1) {
		max = 128;
		extra = 0;
	} else {
		return WHY("\"%s\": \"%s\" is not an IPv4 or IPv6 address", s,
			   host);
	}
	unsigned bits = max;
	if (slash) {
		const char *p = slash + 1;
		size_t dl = strspn(p, "0123456789");
		/* no sign, no blanks, no leading zeros: Go's ParseCIDR */
		if (dl == 0 || p[dl] || dl > 3 || (dl > 1 && p[0] == '0'))
			return WHY("\"%s\": the prefix length is not a number",
				   s);
		bits = (unsigned)atoi(p);
		if (bits > max)
			return WHY("\"%s\": the prefix length is more than %u",
				   s, max);
	}
	unsigned char net[16];
	memcpy(net, out->addr, 16);
	mask(net, bits + extra);
	if (memcmp(net, out->addr, 16) != 0) {
		struct hw_cidr fixed = {.bits = (unsigned char)(bits + extra)};
		memcpy(fixed.addr, net, 16);
		char f[64];
		netacl_format(&fixed, f, sizeof(f));
		return WHY("\"%s\" has host bits set: did you mean %s?", s, f);
	}
	out->bits = (unsigned char)(bits + extra);
	return 0;
}

int netacl_parse_list(const char *v, struct hw_cidr **list, size_t *n,
		      char *why, size_t whysize)
{
	const char *sep = ", \t";
	char one[80];
	size_t added = 0;
	for (const char *p = v + strspn(v, sep); *p; p += strspn(p, sep)) {
		size_t l = strcspn(p, sep);
		if (l >= sizeof(one))
			return WHY("\"%.*s...\" is not a network", 40, p);
		memcpy(one, p, l);
		one[l] = '\0';
		p += l;
		struct hw_cidr c;
		int rc = netacl_parse(one, &c, why, whysize);
		if (rc < 0)
			return rc;
		if (*n >= NETACL_MAX)
			return WHY("more than %d networks", NETACL_MAX);
		struct hw_cidr *grown = realloc(*list, (*n + 1) * sizeof(c));
		if (!grown)
			return -ENOMEM;
		*list = grown;
		grown[(*n)++] = c;
		added++;
	}
	if (!added)
		return WHY("no network given");
	return 0;
}

bool netacl_allows(const struct hw_cidr *list, size_t n,
		   const struct sockaddr *sa, socklen_t len)
{
	if (n == 0)
		return true;
	unsigned char a[16];
	if (sa->sa_family == AF_INET && len >= sizeof(struct sockaddr_in)) {
		memcpy(a, v4mapped, 12);
		memcpy(a + 12, &((const struct sockaddr_in *)sa)->sin_addr, 4);
	} else if (sa->sa_family == AF_INET6 &&
		   len >= sizeof(struct sockaddr_in6)) {
		memcpy(a, &((const struct sockaddr_in6 *)sa)->sin6_addr, 16);
	} else {
		return false;
	}
	for (size_t i = 0; i < n; i++) {
		unsigned char m[16];
		memcpy(m, a, 16);
		mask(m, list[i].bits);
		if (memcmp(m, list[i].addr, 16) == 0)
			return true;
	}
	return false;
}

void netacl_format(const struct hw_cidr *c, char *dst, size_t size)
{
	char host[INET6_ADDRSTRLEN];
	if (c->bits >= 96 && memcmp(c->addr, v4mapped, 12) == 0) {
		inet_ntop(AF_INET, c->addr + 12, host, sizeof(host));
		snprintf(dst, size, "%s/%u", host, c->bits - 96u);
	} else {
		inet_ntop(AF_INET6, c->addr, host, sizeof(host));
		snprintf(dst, size, "%s/%u", host, (unsigned)c->bits);
	}
}
