/* Configuration: [server] listen / --web.listen-address, the addresses to
 * listen on, checked the way Go's net.Listen would take them and collected
 * into struct hw_config's list. */
#include "config.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "hostwatch/config.h"

#include "config_internal.h"

static bool is_hostname(const char *h, size_t len)
{
	if (len == 0 || len > 253)
		return false;
	for (size_t i = 0; i < len; i++)
		if (!isalnum((unsigned char)h[i]) && h[i] != '-' && h[i] != '.' &&
		    h[i] != '_')
			return false;
	return true;
}

/* host:port as Go's net.Listen takes it: "[v6]:port", "v4:port", "name:port"
 * or ":port". Ports are numeric: a service name would need /etc/services. */
static int check_address(const char *a, char *why, size_t whysize)
{
	char host[256];
	const char *port;
	if (a[0] == '[') {
		const char *close = strchr(a, ']');
		if (!close || close[1] != ':')
			goto bad;
		size_t hl = (size_t)(close - a - 1);
		if (hl >= sizeof(host))
			goto bad;
		memcpy(host, a + 1, hl);
		host[hl] = '\0';
		char *zone = strchr(host, '%'); /* fe80::1%eth0 */
		if (zone && !is_hostname(zone + 1, strlen(zone + 1)))
			goto bad;
		if (zone)
			*zone = '\0';
		struct in6_addr a6;
		if (inet_pton(AF_INET6, host, &a6) != 1)
			return WHY("\"%s\": host is not an IPv6 address", a);
		port = close + 2;
	} else {
		const char *colon = strrchr(a, ':');
		if (!colon)
			goto bad;
		if (strchr(a, ':') != colon)
			return WHY("\"%s\": an IPv6 address needs brackets, "
				   "like [::1]:9100",
				   a);
		size_t hl = (size_t)(colon - a);
		if (hl >= sizeof(host))
			goto bad;
		memcpy(host, a, hl);
		host[hl] = '\0';
		struct in_addr a4;
		if (hl && strspn(host, "0123456789.") == hl &&
		    inet_pton(AF_INET, host, &a4) != 1)
			return WHY("\"%s\": host is not an IPv4 address", a);
		if (hl && !is_hostname(host, hl))
			goto bad;
		port = colon + 1;
	}
	size_t pl = strlen(port);
	if (pl == 0 || strspn(port, "0123456789") != pl)
		goto bad;
	/* Port 0 lets the kernel pick a free port, which hostwatch logs: tests
	 * and ad-hoc runs use it to avoid port races. */
	if (pl > 5 || atoi(port) > 65535)
		return WHY("\"%s\": port %s is out of range (0..65535)", a,
			   port);
	return 0;
bad:
	return WHY("\"%s\" is not an address (host:port, [ipv6]:port or :port)",
		   a);
}

/* Addresses separated by commas and/or blanks; each checked, then added. */
int config_listen_apply(struct load *ld, bool from_flag, const char *v,
			char *why, size_t whysize)
{
	struct hw_config *cfg = ld->cfg;
	bool *replaced = from_flag ? &ld->listen_from_flags
				   : &ld->listen_from_file;
	const char *sep = ", \t";
	char one[300];
	unsigned n = 0;
	for (const char *p = v + strspn(v, sep); *p; p += strspn(p, sep)) {
		size_t l = strcspn(p, sep);
		if (l >= sizeof(one))
			return WHY("\"%.*s\" is not an address", (int)l, p);
		memcpy(one, p, l);
		one[l] = '\0';
		int rc = check_address(one, why, whysize);
		if (rc < 0)
			return rc;
		p += l;
		n++;
	}
	if (n == 0)
		return WHY("no address given");
	if (!*replaced) {
		for (unsigned i = 0; i < cfg->n_listen; i++)
			free(cfg->listen[i]);
		cfg->n_listen = 0;
		*replaced = true;
	}
	if (cfg->n_listen + n > HW_MAX_LISTEN)
		return WHY("more than %d addresses", HW_MAX_LISTEN);
	for (const char *p = v + strspn(v, sep); *p; p += strspn(p, sep)) {
		size_t l = strcspn(p, sep);
		char *s = strndup(p, l);
		if (!s)
			return WHY("out of memory");
		cfg->listen[cfg->n_listen++] = s;
		p += l;
	}
	return 0;
}
