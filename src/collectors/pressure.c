/* pressure: PSI totals from /proc/pressure/{cpu,io,memory}, as node_exporter
 * 1.5's collector/pressure_linux.go with procfs proc_psi.go: microsecond
 * totals exported in seconds, "some" as waiting and "full" as stalled (cpu
 * has no full in 1.5). Resources are read in order and what was read before
 * a failure is still exported, as node_exporter does; a missing file is its
 * ErrNoData (no PSI in the kernel), which it also reports as a failure. */
#include "config.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "hostwatch/collector.h"
#include "hostwatch/readfile.h"

#include "goparse.h"

#define PRESSURE_MAX_FILE 4096

struct pressure_line {
	bool present;
	uint64_t total;
};

/* Match a literal of fmt.Sscanf's format, where a space in the format
 * matches any run of blanks, including none. */
static bool pressure_expect(const char **p, const char *end, const char *lit)
{
	const char *s = *p;
	while (s < end && (*s == ' ' || *s == '\t'))
		s++;
	size_t n = strlen(lit);
	if ((size_t)(end - s) < n || memcmp(s, lit, n) != 0)
		return false;
	*p = s + n;
	return true;
}

/* "some avg10=%f avg60=%f avg300=%f total=%d"; the rest of the line is
 * ignored, as Sscanf ignores input after the last verb. */
static int pressure_parse_line(const char *p, const char *end,
			       struct pressure_line *out)
{
	static const char *const avgs[] = {"avg10=", "avg60=", "avg300="};
	double avg;
	p += 4; /* "some" or "full" */
	for (int i = 0; i < 3; i++) {
		if (!pressure_expect(&p, end, avgs[i]) ||
		    go_scan_float(&p, end, &avg) != 1)
			return -EINVAL;
	}
	if (!pressure_expect(&p, end, "total="))
		return -EINVAL;
	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	const char *d = p;
	while (p < end && *p >= '0' && *p <= '9')
		p++;
	int rc = go_parse_uint(d, (size_t)(p - d), &out->total);
	if (rc < 0)
		return rc;
	out->present = true;
	return 0;
}

/* The three files, kept open across scrapes (psi_open() is a single_open()
 * in kernel/sched/psi.c). */
enum { PRESSURE_CPU, PRESSURE_IO, PRESSURE_MEMORY, PRESSURE_NRES };
static const char *const pressure_files[PRESSURE_NRES] = {
	"pressure/cpu", "pressure/io", "pressure/memory"};

static void pressure_fini(struct hw_ctx *ctx)
{
	struct hw_kept *kf = ctx->priv;
	if (kf)
		for (int i = 0; i < PRESSURE_NRES; i++)
			kept_fini(&kf[i]);
	free(kf);
	ctx->priv = NULL;
}

static int pressure_init(struct hw_ctx *ctx)
{
	struct hw_kept *kf = calloc(PRESSURE_NRES, sizeof(*kf));
	if (!kf)
		return -ENOMEM;
	for (int i = 0; i < PRESSURE_NRES; i++)
		kf[i].fd = -1;
	ctx->priv = kf;
	int rc = 0;
	for (int i = 0; i < PRESSURE_NRES && rc == 0; i++)
		rc = kept_init(&kf[i], ctx->cfg->procfs, pressure_files[i],
			       KEPT_SINGLE);
	if (rc < 0)
		pressure_fini(ctx);
	return rc;
}

static int pressure_read(struct hw_ctx *ctx, int res,
			 struct pressure_line *some, struct pressure_line *full)
{
	struct hw_kept *kf = ctx->priv;
	memset(some, 0, sizeof(*some));
	memset(full, 0, sizeof(*full));
	int rc = kept_read_text(&kf[res], &ctx->buf, PRESSURE_MAX_FILE);
	if (rc < 0)
		return rc;
	const char *line = ctx->buf.data;
	while (*line) {
		const char *end = strchr(line, '\n');
		if (!end)
			end = line + strlen(line);
		/* strings.Split(l, " ")[0]: the prefix up to the first space. */
		const char *sp = memchr(line, ' ', (size_t)(end - line));
		size_t plen = (size_t)((sp ? sp : end) - line);
		if (plen == 4 && memcmp(line, "some", 4) == 0)
			rc = pressure_parse_line(line, end, some);
		else if (plen == 4 && memcmp(line, "full", 4) == 0)
			rc = pressure_parse_line(line, end, full);
		if (rc < 0)
			return rc;
		line = *end ? end + 1 : end;
	}
	return 0;
}

/* float64(total)/1000.0/1000.0, in that order, for the same rounding. */
static double pressure_seconds(uint64_t us)
{
	return (double)us / 1000.0 / 1000.0;
}

static int pressure_collect(struct hw_ctx *ctx, struct sink *sink)
{
	struct pressure_line some, full;
	int rc = pressure_read(ctx, PRESSURE_CPU, &some, &full);
	if (rc < 0)
		goto out;
	/* node_exporter dereferences a missing line and panics; we fail. */
	if (!some.present) {
		rc = -EINVAL;
		goto out;
	}
	sink_single(sink, "node_pressure_cpu_waiting_seconds_total",
		    "Total time in seconds that processes have waited for CPU time",
		    HW_COUNTER, pressure_seconds(some.total));

	rc = pressure_read(ctx, PRESSURE_IO, &some, &full);
	if (rc < 0)
		goto out;
	if (!some.present || !full.present) {
		rc = -EINVAL;
		goto out;
	}
	sink_single(sink, "node_pressure_io_stalled_seconds_total",
		    "Total time in seconds no process could make progress due to IO congestion",
		    HW_COUNTER, pressure_seconds(full.total));
	sink_single(sink, "node_pressure_io_waiting_seconds_total",
		    "Total time in seconds that processes have waited due to IO congestion",
		    HW_COUNTER, pressure_seconds(some.total));

	rc = pressure_read(ctx, PRESSURE_MEMORY, &some, &full);
	if (rc < 0)
		goto out;
	if (!some.present || !full.present) {
		rc = -EINVAL;
		goto out;
	}
	sink_single(sink, "node_pressure_memory_stalled_seconds_total",
		    "Total time in seconds no process could make progress due to memory congestion",
		    HW_COUNTER, pressure_seconds(full.total));
	sink_single(sink, "node_pressure_memory_waiting_seconds_total",
		    "Total time in seconds that processes have waited for memory",
		    HW_COUNTER, pressure_seconds(some.total));
out:
	return rc;
}

const struct collector collector_pressure = {
	.name = "pressure",
	.enabled_by_default = true,
	.init = pressure_init,
	.collect = pressure_collect,
	.fini = pressure_fini,
};
