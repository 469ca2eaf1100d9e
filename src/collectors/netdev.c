/* netdev: node_network_{receive,transmit}_*_total{device}, as node_exporter
 * 1.5 prints them (collector/netdev_linux.go, then netdev_common.go legacy(),
 * which folds the detailed counters back into the /proc/net/dev columns).
 *
 * Two sources, chosen by [netdev] netlink / --collector.netdev.netlink:
 * - netlink (the default, as upstream): an RTM_GETLINK dump over rtnetlink
 *   from the live kernel (netlinkStats/parseNetlinkStats, through
 *   jsimonetti/rtnetlink), which ignores --path.procfs and adds
 *   receive_nohandler;
 * - <procfs>/net/dev (procNetDevStats), parsed like procfs' net_dev.go. */
#include "config.h"

#include <errno.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <poll.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "hostwatch/collector.h"
#include "hostwatch/filter.h"
#include "hostwatch/log.h"
#include "hostwatch/readfile.h"

#include "goparse.h"
#include "verdicts.h"

#define NETDEV_NCOLS 16 /* in /proc/net/dev */
#define NETDEV_COL_NOHANDLER 16 /* netlink only */
#define NETDEV_MAX_FILE (4u << 20)
/* One recv of the dump: the kernel sends at most 32 KiB per datagram
 * (netlink_dump); anything cut is an error, never a partial result. */
#define NETDEV_NL_BUF (64u << 10)
/* The whole dump must arrive within this, so a scrape can never hang. */
#define NETDEV_NL_TIMEOUT_MS 5000

/* The families in the order node_exporter prints them (sorted by name), each
 * with its /proc/net/dev column: 0-7 receive bytes packets errs drop fifo
 * frame compressed multicast, 8-15 transmit bytes packets errs drop fifo
 * colls carrier compressed; 16 receive_nohandler, which only the netlink
 * source has (legacy() passes it through under its own name). */
static const struct {
	const char *name;
	const char *help;
	unsigned col;
} netdev_fields[] = {
#define F(dir, key, col)                                                       \
	{"node_network_" dir "_" key "_total",                                 \
	 "Network device statistic " dir "_" key ".", col}
	F("receive", "bytes", 0),       F("receive", "compressed", 6),
	F("receive", "drop", 3),        F("receive", "errs", 2),
	F("receive", "fifo", 4),        F("receive", "frame", 5),
	F("receive", "multicast", 7),   F("receive", "nohandler", 16),
	F("receive", "packets", 1),     F("transmit", "bytes", 8),
	F("transmit", "carrier", 14),   F("transmit", "colls", 13),
	F("transmit", "compressed", 15), F("transmit", "drop", 11),
	F("transmit", "errs", 10),      F("transmit", "fifo", 12),
	F("transmit", "packets", 9),
#undef F
};

struct netdev_dev {
	/* Into ctx->buf (procfs) or p->names (netlink, set once all are
	 * read, as p->names may move while it grows); valid during collect. */
	const char *name;
	size_t name_off;
	size_t line; /* position in the file or dump, for "last one wins" */
	uint64_t v[NETDEV_NCOLS + 1];
};

struct netdev_priv {
	struct hw_kept file;     /* <procfs>/net/dev */
	/* The NETLINK_ROUTE socket, kept across scrapes as iproute2 keeps
	 * its rtnl handle; -1 until first used and after any error, which
	 * may have left a dump half read. */
	int nl_fd;
	uint32_t nl_seq;         /* of the last request */
	struct hw_filter filter; /* device-include / device-exclude */
	struct verdicts verdicts; /* the filter's, by line or dump position */
	struct netdev_dev *devs; /* reused across scrapes */
	size_t ndevs, cap;
	struct hw_buf names; /* netlink: the device names of this scrape */
};

static int netdev_init(struct hw_ctx *ctx)
{
	const struct hw_config *cfg = ctx->cfg;
	struct netdev_priv *p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	p->nl_fd = -1;
	/* dev_seq_ops in net/core/net-procfs.c: one record per device, no
	 * KEPT_SINGLE. */
	int rc = kept_init(&p->file, cfg->procfs, "net/dev", 0);
	if (rc < 0) {
		free(p);
		return rc;
	}
	rc = filter_init(&p->filter, "netdev", "device",
			 cfg->netdev_device_include, cfg->netdev_device_exclude);
	if (rc < 0) {
		kept_fini(&p->file);
		free(p);
		return rc;
	}
	ctx->priv = p;
	return 0;
}

static void netdev_fini(struct hw_ctx *ctx)
{
	struct netdev_priv *p = ctx->priv;
	if (!p)
		return;
	kept_fini(&p->file);
	if (p->nl_fd >= 0)
		close(p->nl_fd);
	filter_free(&p->filter);
	verdicts_free(&p->verdicts);
	free(p->devs);
	buf_free(&p->names);
	free(p);
	ctx->priv = NULL;
}

static int netdev_cmp(const void *a, const void *b)
{
	const struct netdev_dev *x = a, *y = b;
	int c = strcmp(x->name, y->name);
	if (c)
		return c;
	return x->line < y->line ? -1 : x->line > y->line;
}

/* Parse one line (NUL-terminated, modified in place) the way procfs'
 * NetDev.parseLine does: the name is everything before the last colon,
 * trimmed; then 16 unsigned decimals. Go would index out of range on fewer
 * columns; more are ignored there and here. */
static int netdev_parse_line(char *line, struct netdev_dev *d)
{
	char *colon = strrchr(line, ':');
	if (!colon)
		return -EINVAL;
	*colon = '\0';
	char *name = line;
	while (*name == ' ' || *name == '\t')
		name++;
	char *end = colon;
	while (end > name && (end[-1] == ' ' || end[-1] == '\t'))
		end--;
	*end = '\0';
	if (!*name)
		return -EINVAL;
	d->name = name;
	const char *q = colon + 1;
	for (unsigned i = 0; i < NETDEV_NCOLS; i++) {
		int rc = parse_u64(&q, &d->v[i]);
		if (rc < 0)
			return rc;
		/* strconv.ParseUint takes the whole field: "12x" is an error. */
		if (*q && *q != ' ' && *q != '\t')
			return -EINVAL;
	}
	return 0;
}

/* The next free slot of p->devs, growing it; NULL when out of memory. */
static struct netdev_dev *netdev_slot(struct netdev_priv *p)
{
	if (p->ndevs == p->cap) {
		size_t cap = p->cap ? p->cap * 2 : 16;
		struct netdev_dev *d = realloc(p->devs, cap * sizeof(*d));
		if (!d)
			return NULL;
		p->devs = d;
		p->cap = cap;
	}
	struct netdev_dev *d = &p->devs[p->ndevs];
	memset(d, 0, sizeof(*d));
	return d;
}

static int netdev_read_procfs(struct hw_ctx *ctx, struct netdev_priv *p)
{
	int rc = kept_read_text(&p->file, &ctx->buf, NETDEV_MAX_FILE);
	if (rc < 0)
		return rc;

	char *s = ctx->buf.data;
	for (size_t n = 0; *s; n++) {
		char *nl = strchr(s, '\n');
		char *next = nl ? nl + 1 : s + strlen(s);
		if (nl)
			*nl = '\0';
		/* The two header lines are skipped whatever they say. */
		if (n < 2) {
			s = next;
			continue;
		}
		struct netdev_dev *d = netdev_slot(p);
		if (!d)
			return -ENOMEM;
		rc = netdev_parse_line(s, d);
		if (rc < 0) {
			log_debug("netdev: malformed line %zu in net/dev", n + 1);
			return rc;
		}
		if (!go_valid_utf8_str(d->name)) {
			log_debug("netdev: device name is not UTF-8");
			return -EILSEQ;
		}
		d->line = n;
		if (!verdicts_ignored(&p->verdicts, &p->filter, n, d->name))
			p->ndevs++;
		s = next;
	}
	return 0;
}

/* ---- rtnetlink ---------------------------------------------------------- */

/* struct rtnl_link_stats64 as /proc/net/dev prints it (net/core/net-procfs.c
 * dev_seq_printf_stats), which is also what legacy() computes from the
 * detailed counters: drop includes missed, frame the length, over and crc
 * errors, carrier the aborted, window and heartbeat errors. Sums wrap like
 * Go's uint64 additions. */
static void netdev_fill_from_stats(struct netdev_dev *d,
				   const struct rtnl_link_stats64 *st)
{
	d->v[0] = st->rx_bytes;
	d->v[1] = st->rx_packets;
	d->v[2] = st->rx_errors;
	d->v[3] = st->rx_dropped + st->rx_missed_errors;
	d->v[4] = st->rx_fifo_errors;
	d->v[5] = st->rx_frame_errors + st->rx_length_errors +
		  st->rx_over_errors + st->rx_crc_errors;
	d->v[6] = st->rx_compressed;
	d->v[7] = st->multicast;
	d->v[8] = st->tx_bytes;
	d->v[9] = st->tx_packets;
	d->v[10] = st->tx_errors;
	d->v[11] = st->tx_dropped;
	d->v[12] = st->tx_fifo_errors;
	d->v[13] = st->collisions;
	d->v[14] = st->tx_carrier_errors + st->tx_aborted_errors +
		   st->tx_heartbeat_errors + st->tx_window_errors;
	d->v[15] = st->tx_compressed;
	d->v[NETDEV_COL_NOHANDLER] = st->rx_nohandler;
}

/* The counters both structs have since before rx_nohandler (Linux 4.6):
 * shorter attributes are malformed. jsimonetti/rtnetlink also refuses sizes
 * it does not know, which would fail the whole collector on a kernel that
 * appends a counter; we read the prefix we know instead. */
#define NETDEV_STATS_MIN_FIELDS 23

/* IFLA_STATS64, or failing that the 32-bit IFLA_STATS widened, as
 * parseNetlinkStats does. 1 when found, 0 when neither is there (upstream
 * then skips the device), -EBADMSG when one is too short. */
static int netdev_link_stats(const struct rtattr *s64, const struct rtattr *s32,
			     struct rtnl_link_stats64 *out)
{
	memset(out, 0, sizeof(*out));
	if (s64) {
		size_t len = RTA_PAYLOAD(s64);
		if (len < NETDEV_STATS_MIN_FIELDS * sizeof(uint64_t))
			return -EBADMSG;
		/* memcpy: attribute data is only 4-byte aligned. */
		memcpy(out, RTA_DATA(s64),
		       len < sizeof(*out) ? len : sizeof(*out));
		return 1;
	}
	if (!s32)
		return 0;
	uint32_t v[sizeof(*out) / sizeof(uint64_t)] = {0};
	size_t len = RTA_PAYLOAD(s32);
	if (len < NETDEV_STATS_MIN_FIELDS * sizeof(uint32_t))
		return -EBADMSG;
	memcpy(v, RTA_DATA(s32), len < sizeof(v) ? len : sizeof(v));
	/* Both structs list the same counters in the same order. */
	uint64_t w[sizeof(*out) / sizeof(uint64_t)];
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++)
		w[i] = v[i];
	memcpy(out, w, sizeof(*out));
	/* rx_otherhost_dropped (if the header has it) is not in the 32-bit
	 * struct; upstream sets it to 0, and we do not print it anyway. */
	return 1;
}

/* One RTM_NEWLINK message of the dump: keep the device unless filtered out
 * or without statistics. `seq` orders the devices for "last one wins". */
static int netdev_nl_link(struct netdev_priv *p, const struct nlmsghdr *h,
			  size_t seq)
{
	if (h->nlmsg_len < NLMSG_LENGTH(sizeof(struct ifinfomsg)))
		return -EBADMSG;
	const struct ifinfomsg *ifi = NLMSG_DATA(h);
	const struct rtattr *a = IFLA_RTA(ifi);
	int alen = (int)IFLA_PAYLOAD(h);
	const struct rtattr *name = NULL, *s64 = NULL, *s32 = NULL;
	bool any = false;
	for (; RTA_OK(a, alen); a = RTA_NEXT(a, alen)) {
		any = true;
		switch (a->rta_type) {
		case IFLA_IFNAME:
			name = a;
			break;
		case IFLA_STATS64:
			s64 = a;
			break;
		case IFLA_STATS:
			s32 = a;
			break;
		}
	}
	if (!any) {
		log_debug("netdev: no netlink attributes, skipping");
		return 0;
	}
	/* nlenc.String: up to the first NUL; no IFLA_IFNAME is "". */
	const char *nm = name ? RTA_DATA(name) : "";
	size_t nlen = name ? strnlen(nm, RTA_PAYLOAD(name)) : 0;

	struct netdev_dev *d = netdev_slot(p);
	if (!d)
		return -ENOMEM;
	/* The name is NUL-terminated in p->names for the regexes. */
	d->name_off = p->names.len;
	buf_put(&p->names, nm, nlen);
	buf_putc(&p->names, '\0');
	if (p->names.failed)
		return -ENOMEM;
	const char *dn = p->names.data + d->name_off;
	if (verdicts_ignored(&p->verdicts, &p->filter, seq, dn)) {
		log_debug("netdev: ignoring device %s", dn);
		return 0;
	}
	/* Label values must be UTF-8: node_exporter panics on such a name
	 * (client_golang MustNewConstMetric), we fail the collector. */
	if (!go_valid_utf8_str(dn)) {
		log_debug("netdev: device name is not UTF-8");
		return -EILSEQ;
	}
	struct rtnl_link_stats64 st;
	int rc = netdev_link_stats(s64, s32, &st);
	if (rc < 0) {
		log_debug("netdev: short link statistics for %s", dn);
		return rc;
	}
	if (rc == 0) {
		log_debug("netdev: no netlink stats for %s, skipping", dn);
		return 0;
	}
	netdev_fill_from_stats(d, &st);
	d->line = seq;
	p->ndevs++;
	return 0;
}

static long netdev_ms_left(const struct timespec *deadline)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	long ms = (deadline->tv_sec - now.tv_sec) * 1000 +
		  (deadline->tv_nsec - now.tv_nsec) / 1000000;
	return ms > 0 ? ms : 0;
}

/* The kept NETLINK_ROUTE socket, created on first use. */
static int netdev_nl_socket(struct netdev_priv *p)
{
	if (p->nl_fd >= 0)
		return p->nl_fd;
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (fd < 0) {
		int rc = -errno;
		log_debug("netdev: netlink socket: %s", strerror(errno));
		return rc;
	}
	if (!p->nl_seq) {
		struct timespec now;
		clock_gettime(CLOCK_MONOTONIC, &now);
		p->nl_seq = (uint32_t)now.tv_nsec;
	}
	p->nl_fd = fd;
	return fd;
}

/* rtnetlink.Conn.Link.List(): RTM_GETLINK with NLM_F_DUMP over
 * NETLINK_ROUTE, in the network namespace we run in; --path.procfs plays no
 * part, as upstream. The socket is kept across scrapes (upstream dials a
 * fresh one each time; the kernel's answer is the same) and closed after any
 * error, so a dump left half read (the kernel then refuses a new one with
 * EBUSY) or stray datagrams never reach the next scrape. Every datagram of
 * the reply is read into ctx->buf and parsed with the kernel's bounded
 * NLMSG_ and RTA_ macros. */
static int netdev_read_netlink(struct hw_ctx *ctx, struct netdev_priv *p)
{
	struct {
		struct nlmsghdr h;
		struct ifinfomsg ifi;
	} req;
	struct timespec deadline;
	int rc = 0;
	size_t seq = 0;

	buf_reset(&p->names);
	buf_reset(&ctx->buf);
	if (!buf_reserve(&ctx->buf, NETDEV_NL_BUF))
		return -ENOMEM;
	int fd = netdev_nl_socket(p);
	if (fd < 0)
		return fd;
	clock_gettime(CLOCK_MONOTONIC, &deadline);
	deadline.tv_sec += NETDEV_NL_TIMEOUT_MS / 1000;

	memset(&req, 0, sizeof(req));
	req.h.nlmsg_len = sizeof(req);
	req.h.nlmsg_type = RTM_GETLINK;
	req.h.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	req.h.nlmsg_seq = ++p->nl_seq;
	req.ifi.ifi_family = AF_UNSPEC;
	struct sockaddr_nl kernel = {.nl_family = AF_NETLINK};
	if (sendto(fd, &req, sizeof(req), 0, (struct sockaddr *)&kernel,
		   sizeof(kernel)) != (ssize_t)sizeof(req)) {
		rc = -errno;
		log_debug("netdev: netlink send: %s", strerror(errno));
		goto out;
	}

	for (bool done = false; !done;) {
		struct sockaddr_nl from;
		struct iovec iov = {ctx->buf.data, ctx->buf.cap};
		struct msghdr msg = {.msg_name = &from,
				     .msg_namelen = sizeof(from),
				     .msg_iov = &iov,
				     .msg_iovlen = 1};
		/* The kernel builds each part of a dump while we send or
		 * receive (netlink_dump), so there is nearly always a datagram
		 * waiting: poll only when there is not. */
		ssize_t got = recvmsg(fd, &msg, MSG_DONTWAIT);
		if (got < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN) {
				rc = -errno;
				log_debug("netdev: netlink recv: %s",
					  strerror(errno));
				goto out;
			}
			struct pollfd pfd = {.fd = fd, .events = POLLIN};
			int n = poll(&pfd, 1, (int)netdev_ms_left(&deadline));
			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0) {
				rc = n == 0 ? -ETIMEDOUT : -errno;
				log_debug("netdev: netlink dump: %s",
					  strerror(-rc));
				goto out;
			}
			continue;
		}
		if (msg.msg_flags & MSG_TRUNC) {
			rc = -EMSGSIZE;
			log_debug("netdev: netlink datagram larger than %u bytes",
				  NETDEV_NL_BUF);
			goto out;
		}
		if (from.nl_pid != 0) /* not from the kernel */
			continue;
		int len = (int)got;
		for (const struct nlmsghdr *h = (void *)ctx->buf.data;
		     NLMSG_OK(h, len); h = NLMSG_NEXT(h, len)) {
			if (h->nlmsg_seq != req.h.nlmsg_seq)
				continue;
			if (h->nlmsg_type == NLMSG_DONE) {
				/* A dump that failed part way says so here. */
				int err = 0;
				if (h->nlmsg_len >= NLMSG_LENGTH(sizeof(int)))
					memcpy(&err, NLMSG_DATA(h), sizeof(err));
				if (err < 0) {
					rc = err;
					goto out;
				}
				done = true;
				break;
			}
			if (h->nlmsg_type == NLMSG_ERROR) {
				struct nlmsgerr e = {.error = -EBADMSG};
				if (h->nlmsg_len >=
				    NLMSG_LENGTH(sizeof(struct nlmsgerr)))
					memcpy(&e, NLMSG_DATA(h), sizeof(e));
				rc = e.error < 0 ? e.error : -EBADMSG;
				log_debug("netdev: netlink error: %s",
					  strerror(-rc));
				goto out;
			}
			if (h->nlmsg_type != RTM_NEWLINK)
				continue;
			if (h->nlmsg_flags & NLM_F_DUMP_INTR)
				log_debug("netdev: link dump interrupted");
			rc = netdev_nl_link(p, h, seq++);
			if (rc < 0)
				goto out;
		}
	}
	/* p->names stopped moving: point the names into it. */
	for (size_t i = 0; i < p->ndevs; i++)
		p->devs[i].name = p->names.data + p->devs[i].name_off;
out:
	if (rc < 0) {
		close(fd);
		p->nl_fd = -1;
	}
	return rc;
}

static int netdev_collect(struct hw_ctx *ctx, struct sink *sink)
{
	struct netdev_priv *p = ctx->priv;
	bool netlink = ctx->cfg->netdev_netlink;
	p->ndevs = 0;
	int rc = netlink ? netdev_read_netlink(ctx, p)
			 : netdev_read_procfs(ctx, p);
	if (rc < 0)
		return rc;

	/* procfs keeps devices in a map, as parseNetlinkStats does: for a
	 * repeated name the last one wins. Sorted by name is also the order
	 * node_exporter prints. */
	if (p->ndevs > 1)
		qsort(p->devs, p->ndevs, sizeof(*p->devs), netdev_cmp);
	size_t k = 0;
	for (size_t i = 0; i < p->ndevs; i++) {
		if (i + 1 < p->ndevs &&
		    strcmp(p->devs[i].name, p->devs[i + 1].name) == 0)
			continue;
		p->devs[k++] = p->devs[i];
	}
	p->ndevs = k;
	if (k == 0)
		return 0;

	for (size_t f = 0; f < sizeof(netdev_fields) / sizeof(netdev_fields[0]);
	     f++) {
		unsigned col = netdev_fields[f].col;
		if (col == NETDEV_COL_NOHANDLER && !netlink)
			continue;
		sink_family(sink, netdev_fields[f].name, netdev_fields[f].help,
			    HW_COUNTER);
		for (size_t i = 0; i < p->ndevs; i++) {
			struct hw_label l = {"device", p->devs[i].name};
			sink_sample(sink, &l, 1, (double)p->devs[i].v[col]);
		}
	}
	return 0;
}

const struct collector collector_netdev = {
	.name = "netdev",
	.enabled_by_default = true,
	.init = netdev_init,
	.collect = netdev_collect,
	.fini = netdev_fini,
};
