/* /proc/stat parser matching prometheus/procfs stat.go: see procstat.h. */
#include "config.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "hostwatch/readfile.h"

#include "goparse.h"
#include "procstat.h"

/* procfs: userHZ is hard-coded to 100 (USER_HZ on every architecture that
 * matters), not read from sysconf(_SC_CLK_TCK). */
#define PROCSTAT_USER_HZ 100.0

static int procstat_uint_field(const char *f, size_t n, uint64_t *out)
{
	return go_parse_uint(f, n, out);
}

/* go_parse_uint on every strings.Fields field of [p, end), for the
 * hundreds of per-IRQ counts of the intr line, nearly all "0": in one pass,
 * where a field of fewer than 20 characters (which cannot overflow) only
 * needs to be all digits. Anything else gets go_parse_uint's own verdict. */
static int procstat_check_uints(const char *p, const char *end)
{
	while (p < end) {
		if (go_is_space(*p)) {
			p++;
			continue;
		}
		const char *f = p;
		bool digits = true;
		while (p < end && !go_is_space(*p)) {
			digits &= *p >= '0' && *p <= '9';
			p++;
		}
		if (!digits || p - f >= 20) {
			uint64_t v;
			int rc = go_parse_uint(f, (size_t)(p - f), &v);
			if (rc < 0)
				return rc;
		}
	}
	return 0;
}

/* "cpuN v1 v2 ...": fmt.Sscanf(line, "%s %f %f ...") where running out of
 * input (io.EOF) is accepted and leaves the remaining columns at zero. */
static int procstat_parse_cpu(const char *name, size_t nlen, const char *p,
			      const char *end, struct procstat *st)
{
	struct procstat_cpu c;
	memset(&c, 0, sizeof(c));
	for (int i = 0; i < PROCSTAT_NMODES; i++) {
		int rc = go_scan_float(&p, end, &c.v[i]);
		if (rc < 0)
			return rc;
		if (rc == 0)
			break;
	}
	for (int i = 0; i < PROCSTAT_NMODES; i++)
		c.v[i] /= PROCSTAT_USER_HZ;
	if (nlen == 3)
		return 0; /* the "cpu" total line, not exported */

	/* strconv.ParseInt(cpu[3:], 10, 64): an optional sign, then digits. */
	const char *s = name + 3;
	size_t n = nlen - 3;
	bool neg = false;
	if (*s == '+' || *s == '-') {
		neg = *s == '-';
		s++;
		n--;
	}
	uint64_t id;
	int rc = go_parse_uint(s, n, &id);
	if (rc < 0)
		return rc;
	if (neg) {
		/* -1 is how procfs marks the total; anything lower would
		 * index its slice out of range (node_exporter panics). */
		if (id == 1)
			return 0;
		return -EINVAL;
	}
	if (id > PROCSTAT_MAX_CPU)
		return -ERANGE;
	if (id >= st->cap) {
		size_t cap = st->cap ? st->cap : 16;
		while (cap <= id)
			cap *= 2;
		struct procstat_cpu *a = realloc(st->cpu, cap * sizeof(*a));
		if (!a)
			return -ENOMEM;
		st->cpu = a;
		st->cap = cap;
	}
	while (st->ncpu <= id)
		memset(&st->cpu[st->ncpu++], 0, sizeof(*st->cpu));
	st->cpu[id] = c;
	return 0;
}

/* "softirq total hi timer ...": Sscanf with eleven %d, all required. */
static int procstat_parse_softirq(const char *p, const char *end)
{
	for (int i = 0; i < 11; i++) {
		while (p < end && (*p == ' ' || *p == '\t'))
			p++;
		const char *d = p;
		while (p < end && *p >= '0' && *p <= '9')
			p++;
		uint64_t v;
		int rc = go_parse_uint(d, (size_t)(p - d), &v);
		if (rc < 0)
			return rc;
	}
	return 0;
}

static int procstat_parse_line(const char *line, const char *end,
			       struct procstat *st)
{
	const char *p = line, *k, *v;
	size_t kl, vl;
	/* Fewer than two fields: skipped, like procfs. */
	if (!go_next_field(&p, end, &k, &kl))
		return 0;
	const char *after_key = p;
	if (!go_next_field(&p, end, &v, &vl))
		return 0;

#define KEY(s) (kl == sizeof(s) - 1 && memcmp(k, s, kl) == 0)
	if (KEY("btime")) {
		st->seen |= PROCSTAT_SEEN_BTIME;
		return procstat_uint_field(v, vl, &st->boot_time);
	}
	if (KEY("ctxt")) {
		st->seen |= PROCSTAT_SEEN_CTXT;
		return procstat_uint_field(v, vl, &st->ctxt);
	}
	if (KEY("processes")) {
		st->seen |= PROCSTAT_SEEN_PROCESSES;
		return procstat_uint_field(v, vl, &st->forks);
	}
	if (KEY("procs_running")) {
		st->seen |= PROCSTAT_SEEN_RUNNING;
		return procstat_uint_field(v, vl, &st->running);
	}
	if (KEY("procs_blocked")) {
		st->seen |= PROCSTAT_SEEN_BLOCKED;
		return procstat_uint_field(v, vl, &st->blocked);
	}
	if (KEY("intr")) {
		st->seen |= PROCSTAT_SEEN_INTR;
		/* Every numbered IRQ must parse too. */
		int rc = procstat_uint_field(v, vl, &st->intr);
		return rc < 0 ? rc : procstat_check_uints(p, end);
	}
	if (KEY("softirq"))
		return procstat_parse_softirq(after_key, end);
#undef KEY
	if (kl >= 3 && memcmp(k, "cpu", 3) == 0)
		return procstat_parse_cpu(k, kl, after_key, end, st);
	return 0;
}

int procstat_parse(const char *data, struct procstat *st)
{
	st->boot_time = st->intr = st->ctxt = st->forks = 0;
	st->running = st->blocked = 0;
	st->ncpu = 0;
	st->seen = 0;
	for (const char *line = data; *line; line = next_line(line)) {
		const char *end = strchr(line, '\n');
		if (!end)
			end = line + strlen(line);
		int rc = procstat_parse_line(line, end, st);
		if (rc < 0)
			return rc;
	}
	return 0;
}

void procstat_free(struct procstat *st)
{
	free(st->cpu);
	st->cpu = NULL;
	st->ncpu = st->cap = 0;
}
