/* Reading one cgroup directory's files (cgroup.h): the v2 files of
 * Documentation/admin-guide/cgroup-v2.rst and the v1 files of
 * Documentation/admin-guide/cgroup-v1/, with cAdvisor's arithmetic
 * (container/libcontainer/handler.go and runc's fs and fs2 stats):
 *
 *   value            v2                          v1
 *   usage            cpu.stat usage_usec         cpuacct.usage (ns)
 *   user, system     cpu.stat user/system_usec   cpuacct.stat (USER_HZ)
 *   cfs, when a      cpu.max not "max": cpu.stat cpu.cfs_quota_us not -1:
 *   quota is set     nr_periods, nr_throttled,   cpu.stat nr_periods,
 *                    throttled_usec              nr_throttled, throttled_time
 *   memory usage     memory.current              memory.usage_in_bytes
 *   working set      usage - inactive_file       usage - total_inactive_file
 *   rss, cache       memory.stat anon, file      memory.stat total_rss, _cache
 *   swap             memory.swap.current         memsw.usage_in_bytes - usage
 *   limit (0: none)  memory.max                  memory.limit_in_bytes
 *   oom kills        memory.events oom_kill      memory.oom_control oom_kill
 *   events high/max  memory.events high, max     -
 *   threads          pids.current                pids.current
 *   processes        lines of cgroup.procs       lines of cgroup.procs
 *   bytes read,      io.stat rbytes, wbytes      blkio.throttle.io_service_
 *   written                                      bytes_recursive Read, Write
 *   pressure         {cpu,memory,io}.pressure    -
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hostwatch/cgroup.h"
#include "hostwatch/readfile.h"

#include "cgroup_internal.h"

void cgroup_reader_init(struct cgroup_reader *r)
{
	memset(r, 0, sizeof(*r));
	long hz = sysconf(_SC_CLK_TCK);
	r->user_hz = hz > 0 ? (double)hz : 100.0;
}

void cgroup_reader_free(struct cgroup_reader *r)
{
	buf_free(&r->buf);
	free(r->io);
	memset(r, 0, sizeof(*r));
}

void cgroup_reader_reset(struct cgroup_reader *r)
{
	r->nio = 0;
}

static void cg_set(struct cgroup_stats *st, enum cgroup_field f, double v)
{
	st->v[f] = v;
	st->have |= CGROUP_HAVE(f);
}

/* What one file read came to: 0 read, 1 absent (the cgroup does not have
 * the file: a root cgroup, a controller not enabled for it, PSI switched
 * off for it), -ENOENT the cgroup is gone, or another -errno. */
static int cg_outcome(int rc, bool *absent)
{
	switch (rc) {
	case 0:
		return 0;
	case -ENOENT:
	case -EOPNOTSUPP:
		*absent = true;
		return 1;
	case -ENODEV: /* kernfs: the file's cgroup was removed while open */
		return -ENOENT;
	default:
		return rc;
	}
}

/* Read one file into r->buf; see cg_outcome. */
#define CG_READ(name)                                                          \
	do {                                                                   \
		rc = cg_outcome(cgroup_file_read(r, dirfd, (name)), &absent);  \
		if (rc < 0)                                                    \
			goto out;                                              \
	} while (0)

static int cg_read_v2_cpu(struct cgroup_reader *r, int dirfd, unsigned what,
			  struct cgroup_stats *st, bool *absentp)
{
	static const char *const keys[] = {"usage_usec",  "user_usec",
					   "system_usec", "nr_periods",
					   "nr_throttled", "throttled_usec"};
	bool absent = false, quota = false;
	uint64_t v[6];
	unsigned found;
	int rc = 0;
	if (what & CGROUP_READ_V2_CFS) {
		/* "$MAX $PERIOD", MAX "max" for no quota */
		CG_READ("cpu.max");
		if (rc == 0) {
			const char *p = r->buf.data;
			if (strncmp(p, "max ", 4) == 0)
				p += 3;
			else if (parse_u64(&p, &v[0]) == 0)
				quota = true;
			else
				return -EINVAL;
			if (*p != ' ' || parse_u64(&p, &v[0]) < 0 ||
			    strcmp(p, "\n") != 0)
				return -EINVAL;
		}
	}
	if (!(what & CGROUP_READ_V2_CPU) && !quota)
		goto out;
	CG_READ("cpu.stat");
	if (rc)
		goto out;
	rc = cgroup_parse_keyed(r->buf.data, keys, quota ? 6 : 3, v, &found);
	if (rc < 0 || (found & 7) != 7 || (quota && found != 0x3f))
		return -EINVAL;
	if (what & CGROUP_READ_V2_CPU) {
		cg_set(st, CGROUP_F_CPU_USAGE, (double)v[0] / 1e6);
		cg_set(st, CGROUP_F_CPU_USER, (double)v[1] / 1e6);
		cg_set(st, CGROUP_F_CPU_SYSTEM, (double)v[2] / 1e6);
	}
	if (quota) {
		cg_set(st, CGROUP_F_CFS_PERIODS, (double)v[3]);
		cg_set(st, CGROUP_F_CFS_THROTTLED_PERIODS, (double)v[4]);
		cg_set(st, CGROUP_F_CFS_THROTTLED_SECONDS, (double)v[5] / 1e6);
	}
	rc = 0;
out:
	*absentp |= absent;
	return rc < 0 ? rc : 0;
}

/* Usage and memory.stat's rss, cache and working set (usage minus inactive
 * file, at least 0, as cAdvisor): the same on both versions but for the
 * usage file and the stat keys. 0 (each value possibly absent) or -errno. */
static int cg_read_memory_usage(struct cgroup_reader *r, int dirfd,
				const char *usage_file,
				const char *const stat_keys[3],
				struct cgroup_stats *st, bool *absent,
				uint64_t *usage, bool *have_usage)
{
	uint64_t v[3];
	unsigned found;
	int rc = cg_outcome(cgroup_file_read(r, dirfd, usage_file), absent);
	if (rc < 0)
		return rc;
	if (rc == 0) {
		if (cgroup_parse_single(r->buf.data, usage) < 0)
			return -EINVAL;
		*have_usage = true;
		cg_set(st, CGROUP_F_MEM_USAGE, (double)*usage);
	}
	rc = cg_outcome(cgroup_file_read(r, dirfd, "memory.stat"), absent);
	if (rc < 0)
		return rc;
	if (rc == 0) {
		if (cgroup_parse_keyed(r->buf.data, stat_keys, 3, v, &found) < 0 ||
		    found != 7)
			return -EINVAL;
		cg_set(st, CGROUP_F_MEM_RSS, (double)v[0]);
		cg_set(st, CGROUP_F_MEM_CACHE, (double)v[1]);
		if (*have_usage)
			cg_set(st, CGROUP_F_MEM_WORKING_SET,
			       *usage > v[2] ? (double)(*usage - v[2]) : 0.0);
	}
	return 0;
}

static int cg_read_v2_memory(struct cgroup_reader *r, int dirfd,
			     struct cgroup_stats *st, bool *absentp)
{
	static const char *const stat_keys[] = {"anon", "file",
						"inactive_file"};
	static const char *const event_keys[] = {"oom_kill", "high", "max"};
	bool absent = false, have_usage = false;
	uint64_t usage = 0, v[3];
	unsigned found;
	int rc;
	/* memory.current: not on the root cgroup */
	rc = cg_read_memory_usage(r, dirfd, "memory.current", stat_keys, st,
				  &absent, &usage, &have_usage);
	if (rc < 0)
		goto out;
	CG_READ("memory.swap.current"); /* no swap accounting: absent */
	if (rc == 0) {
		if (cgroup_parse_single(r->buf.data, &v[0]) < 0)
			return -EINVAL;
		cg_set(st, CGROUP_F_MEM_SWAP, (double)v[0]);
	}
	CG_READ("memory.max");
	if (rc == 0) {
		if (cgroup_parse_limit(r->buf.data, &v[0]) < 0)
			return -EINVAL;
		cg_set(st, CGROUP_F_MEM_LIMIT, (double)v[0]);
	}
	CG_READ("memory.events");
	if (rc == 0) {
		if (cgroup_parse_keyed(r->buf.data, event_keys, 3, v, &found) < 0)
			return -EINVAL;
		for (unsigned i = 0; i < 3; i++)
			if (found & (1u << i))
				cg_set(st, CGROUP_F_OOM_KILLS + i, (double)v[i]);
	}
	rc = 0;
out:
	*absentp |= absent;
	return rc < 0 ? rc : 0;
}

static int cg_read_v1_memory(struct cgroup_reader *r, int dirfd,
			     unsigned what, struct cgroup_stats *st,
			     bool *absentp)
{
	/* the hierarchical totals, as cAdvisor uses */
	static const char *const stat_keys[] = {"total_rss", "total_cache",
						"total_inactive_file"};
	static const char *const oom_keys[] = {"oom_kill"};
	bool absent = false, have_usage = false;
	uint64_t usage = 0, v[3];
	unsigned found;
	int rc;
	rc = cg_read_memory_usage(r, dirfd, "memory.usage_in_bytes", stat_keys,
				  st, &absent, &usage, &have_usage);
	if (rc < 0)
		goto out;
	if ((what & CGROUP_READ_V1_MEMSW) && have_usage) {
		CG_READ("memory.memsw.usage_in_bytes");
		if (rc == 0) {
			if (cgroup_parse_single(r->buf.data, &v[0]) < 0)
				return -EINVAL;
			cg_set(st, CGROUP_F_MEM_SWAP,
			       v[0] > usage ? (double)(v[0] - usage) : 0.0);
		}
	}
	CG_READ("memory.limit_in_bytes");
	if (rc == 0) {
		if (cgroup_parse_limit(r->buf.data, &v[0]) < 0)
			return -EINVAL;
		cg_set(st, CGROUP_F_MEM_LIMIT, (double)v[0]);
	}
	CG_READ("memory.oom_control"); /* oom_kill: since Linux 4.13 */
	if (rc == 0) {
		if (cgroup_parse_keyed(r->buf.data, oom_keys, 1, v, &found) < 0)
			return -EINVAL;
		if (found)
			cg_set(st, CGROUP_F_OOM_KILLS, (double)v[0]);
	}
	rc = 0;
out:
	*absentp |= absent;
	return rc < 0 ? rc : 0;
}

static int cg_read_v1_cpu(struct cgroup_reader *r, int dirfd, unsigned what,
			  struct cgroup_stats *st, bool *absentp)
{
	static const char *const acct_keys[] = {"user", "system"};
	static const char *const cfs_keys[] = {"nr_periods", "nr_throttled",
					       "throttled_time"};
	bool absent = false;
	uint64_t v[3];
	unsigned found;
	int rc = 0;
	if (what & CGROUP_READ_V1_CPUACCT) {
		CG_READ("cpuacct.usage");
		if (rc == 0) {
			if (cgroup_parse_single(r->buf.data, &v[0]) < 0)
				return -EINVAL;
			cg_set(st, CGROUP_F_CPU_USAGE, (double)v[0] / 1e9);
		}
		CG_READ("cpuacct.stat");
		if (rc == 0) {
			if (cgroup_parse_keyed(r->buf.data, acct_keys, 2, v,
					   &found) < 0 ||
			    found != 3)
				return -EINVAL;
			cg_set(st, CGROUP_F_CPU_USER, (double)v[0] / r->user_hz);
			cg_set(st, CGROUP_F_CPU_SYSTEM,
			       (double)v[1] / r->user_hz);
		}
	}
	if (what & CGROUP_READ_V1_CFS) {
		CG_READ("cpu.cfs_quota_us"); /* -1: no quota */
		if (rc == 0 && strcmp(r->buf.data, "-1\n") != 0) {
			if (cgroup_parse_single(r->buf.data, &v[0]) < 0)
				return -EINVAL;
			CG_READ("cpu.stat");
			if (rc == 0) {
				if (cgroup_parse_keyed(r->buf.data, cfs_keys, 3, v,
						   &found) < 0 ||
				    found != 7)
					return -EINVAL;
				cg_set(st, CGROUP_F_CFS_PERIODS, (double)v[0]);
				cg_set(st, CGROUP_F_CFS_THROTTLED_PERIODS,
				       (double)v[1]);
				cg_set(st, CGROUP_F_CFS_THROTTLED_SECONDS,
				       (double)v[2] / 1e9);
			}
		}
	}
	rc = 0;
out:
	*absentp |= absent;
	return rc < 0 ? rc : 0;
}

static int cg_read_rest(struct cgroup_reader *r, int dirfd, unsigned what,
			struct cgroup_stats *st, bool *absentp)
{
	static const char *const psi_files[] = {"cpu.pressure",
						"memory.pressure",
						"io.pressure"};
	bool absent = false;
	uint64_t v;
	int rc = 0;
	if (what & CGROUP_READ_PIDS) {
		CG_READ("pids.current"); /* not on the root cgroup */
		if (rc == 0) {
			if (cgroup_parse_single(r->buf.data, &v) < 0)
				return -EINVAL;
			cg_set(st, CGROUP_F_THREADS, (double)v);
		}
	}
	if (what & CGROUP_READ_PROCS) {
		/* every cgroup has it: absent means gone */
		rc = cgroup_file_lines(r, dirfd, "cgroup.procs", &v);
		if (rc == -ENOENT || rc == -ENODEV) {
			rc = -ENOENT;
			goto out;
		}
		if (rc < 0)
			goto out;
		cg_set(st, CGROUP_F_PROCESSES, (double)v);
	}
	if (what & (CGROUP_READ_V2_IO | CGROUP_READ_V1_BLKIO |
		    CGROUP_READ_V1_BLKIO_CFQ)) {
		CG_READ(what & CGROUP_READ_V2_IO ? "io.stat"
			: what & CGROUP_READ_V1_BLKIO
				? "blkio.throttle.io_service_bytes_recursive"
				: "blkio.io_service_bytes_recursive");
		if (rc == 0) {
			rc = what & CGROUP_READ_V2_IO
				     ? cgroup_parse_io_stat(r, st, r->buf.data)
				     : cgroup_parse_blkio(r, st, r->buf.data);
			if (rc < 0)
				goto out;
			st->have |= CGROUP_HAVE(CGROUP_F_IO);
			st->io_n = (uint32_t)(r->nio - st->io_off);
		}
	}
	if (what & CGROUP_READ_V2_PSI) {
		for (int i = 0; i < 3; i++) {
			CG_READ(psi_files[i]);
			if (rc == 0 &&
			    cgroup_parse_psi(r->buf.data, st,
					 CGROUP_F_PSI_CPU_SOME + 2 * i) < 0) {
				rc = -EINVAL;
				goto out;
			}
		}
	}
	rc = 0;
out:
	*absentp |= absent;
	return rc;
}

int cgroup_read_dir(struct cgroup_reader *r, int dirfd, unsigned what,
		    struct cgroup_stats *st)
{
	memset(st, 0, sizeof(*st));
	st->io_off = (uint32_t)r->nio;
	bool absent = false;
	int rc = 0;
	if (what & (CGROUP_READ_V2_CPU | CGROUP_READ_V2_CFS))
		rc = cg_read_v2_cpu(r, dirfd, what, st, &absent);
	if (rc == 0 && (what & (CGROUP_READ_V1_CPUACCT | CGROUP_READ_V1_CFS)))
		rc = cg_read_v1_cpu(r, dirfd, what, st, &absent);
	if (rc == 0 && (what & CGROUP_READ_V2_MEMORY))
		rc = cg_read_v2_memory(r, dirfd, st, &absent);
	if (rc == 0 && (what & CGROUP_READ_V1_MEMORY))
		rc = cg_read_v1_memory(r, dirfd, what, st, &absent);
	if (rc == 0)
		rc = cg_read_rest(r, dirfd, what, st, &absent);
	/* A file missing: not this cgroup's, or the cgroup was removed since
	 * it was listed (its directory's files then all fail ENOENT).
	 * cgroup.procs is in every cgroup, root included, v1 and v2. */
	if (rc == 0 && absent && faccessat(dirfd, "cgroup.procs", F_OK, 0) < 0)
		rc = errno == ENODEV ? -ENOENT : -errno;
	if (rc < 0) {
		r->nio = st->io_off;
		st->have = 0;
		st->io_n = 0;
		return rc;
	}
	st->done = what;
	return 0;
}

/* The groups of CGROUP_READ_* bits that give the same values. */
static const unsigned cg_groups[] = {
	CGROUP_READ_V1_CPUACCT | CGROUP_READ_V2_CPU,
	CGROUP_READ_V1_CFS | CGROUP_READ_V2_CFS,
	CGROUP_READ_V1_MEMORY | CGROUP_READ_V1_MEMSW | CGROUP_READ_V2_MEMORY,
	CGROUP_READ_PIDS,
	CGROUP_READ_PROCS,
	CGROUP_READ_V1_BLKIO | CGROUP_READ_V1_BLKIO_CFQ | CGROUP_READ_V2_IO,
	CGROUP_READ_V2_PSI,
};

unsigned cgroup_what_left(unsigned what, const struct cgroup_stats *st)
{
	for (size_t i = 0; i < sizeof(cg_groups) / sizeof(cg_groups[0]); i++)
		if (st->done & cg_groups[i])
			what &= ~cg_groups[i];
	return what;
}

void cgroup_stats_drop(struct cgroup_reader *r, const struct cgroup_stats *st)
{
	if (st->io_off <= r->nio)
		r->nio = st->io_off;
}

void cgroup_stats_merge(struct cgroup_reader *r, struct cgroup_stats *dst,
			const struct cgroup_stats *src)
{
	uint32_t add = src->have & ~dst->have;
	for (int f = 0; f < CGROUP_F_NVALUES; f++)
		if (add & CGROUP_HAVE(f))
			dst->v[f] = src->v[f];
	if (add & CGROUP_HAVE(CGROUP_F_IO)) {
		dst->io_off = src->io_off;
		dst->io_n = src->io_n;
	} else {
		cgroup_stats_drop(r, src);
	}
	dst->have |= add;
	dst->done |= src->done;
}
