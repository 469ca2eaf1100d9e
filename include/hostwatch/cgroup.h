/* Reading cgroups' statistics from cgroupfs on cgroup v2, v1 and hybrid
 * hosts, with cAdvisor's meaning for every value: the cgroup collector walks
 * the hierarchies with it, and the Docker collector (a later issue) reads one
 * container's cgroup with cgroup_read_path.
 *
 * A host mounts each controller once: on a v2 host every controller sits on
 * the unified hierarchy; on a v1 host each (or a group, cpu,cpuacct) has its
 * own; a hybrid host has v1 controllers plus a unified hierarchy that carries
 * the core files (cpu.stat usage, *.pressure, cgroup.procs) and whatever
 * controllers v1 did not take. A value is read from the hierarchy of the v1
 * controller that provides it when the cgroup exists there, else from the
 * unified hierarchy; pressure only ever comes from the unified one.
 *
 * Files are opened relative to a directory descriptor and read into one
 * reused buffer; nothing here allocates per cgroup once the buffers have
 * grown. Not thread-safe: a reader belongs to one collector. */
#ifndef HOSTWATCH_CGROUP_H
#define HOSTWATCH_CGROUP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hostwatch/buf.h"

/* The hierarchies, in the order a value is taken from them. */
enum cgroup_hier {
	CGROUP_H_CPUACCT, /* v1 cpuacct: usage, user, system */
	CGROUP_H_CPU,     /* v1 cpu: CFS quota and throttling */
	CGROUP_H_MEMORY,  /* v1 memory */
	CGROUP_H_PIDS,    /* v1 pids: threads; processes from its cgroup.procs */
	CGROUP_H_BLKIO,   /* v1 blkio */
	CGROUP_H_UNIFIED, /* cgroup2 */
	CGROUP_H_COUNT,
};

/* One mounted hierarchy: a cgroup2 mount, or a v1 mount with the
 * controllers in `roles` (1 << CGROUP_H_*: cpu and cpuacct are often
 * mounted together). */
struct cgroup_mount {
	char *path;
	unsigned roles;
};

/* Where the hierarchies are, in the order above (a mount's place is that of
 * its first role). On a v2 host there is one mount, roles 1 << UNIFIED. */
struct cgroup_layout {
	struct cgroup_mount m[CGROUP_H_COUNT];
	unsigned n;
};

/* Find the hierarchies. cgroupfs NULL: ask libcgroup (dlopen()ed for the
 * question and closed again; README, Memory) where cpu, cpuacct, memory,
 * pids and blkio are mounted and which mount is cgroup2, falling back to
 * <procfs>/self/mountinfo when libcgroup cannot be loaded or does not know.
 * cgroupfs set: that directory is a cgroup2 mount (cgroup.controllers at its
 * top) or holds one directory per v1 controller, plus "unified" on a hybrid
 * host. 0 (l->n may be 0: no cgroups mounted), or -ENOMEM. */
int cgroup_layout_discover(struct cgroup_layout *l, const char *cgroupfs,
			   const char *procfs);
void cgroup_layout_free(struct cgroup_layout *l);
/* "v2 /sys/fs/cgroup", "hybrid: cpu=... unified=...", for the log. */
void cgroup_layout_describe(const struct cgroup_layout *l, char *dst,
			    size_t size);

/* What cgroup_read_dir reads in one directory. */
#define CGROUP_READ_V1_CPUACCT (1u << 0)  /* cpuacct.usage, cpuacct.stat */
#define CGROUP_READ_V1_CFS (1u << 1)      /* cpu.cfs_quota_us, cpu.stat */
#define CGROUP_READ_V1_MEMORY (1u << 2)   /* memory.usage_in_bytes, .stat,
					     .limit_in_bytes, .oom_control */
#define CGROUP_READ_V1_MEMSW (1u << 3)    /* memory.memsw.usage_in_bytes */
#define CGROUP_READ_V1_BLKIO (1u << 4)    /* blkio.throttle.io_service_bytes_recursive */
#define CGROUP_READ_V1_BLKIO_CFQ (1u << 5) /* blkio.io_service_bytes_recursive */
#define CGROUP_READ_PIDS (1u << 6)        /* pids.current (v1 and v2) */
#define CGROUP_READ_PROCS (1u << 7)       /* cgroup.procs (v1 and v2) */
#define CGROUP_READ_V2_CPU (1u << 8)      /* cpu.stat usage/user/system */
#define CGROUP_READ_V2_CFS (1u << 9)      /* cpu.max, cpu.stat nr_* */
#define CGROUP_READ_V2_MEMORY (1u << 10)  /* memory.current, .stat, .max,
					     .events, .swap.current */
#define CGROUP_READ_V2_IO (1u << 11)      /* io.stat */
#define CGROUP_READ_V2_PSI (1u << 12)     /* {cpu,memory,io}.pressure */

/* The values, each with its bit in cgroup_stats.have. Seconds and bytes. */
enum cgroup_field {
	CGROUP_F_CPU_USAGE,
	CGROUP_F_CPU_USER,
	CGROUP_F_CPU_SYSTEM,
	CGROUP_F_CFS_PERIODS,
	CGROUP_F_CFS_THROTTLED_PERIODS,
	CGROUP_F_CFS_THROTTLED_SECONDS,
	CGROUP_F_MEM_USAGE,
	CGROUP_F_MEM_WORKING_SET,
	CGROUP_F_MEM_RSS,
	CGROUP_F_MEM_CACHE,
	CGROUP_F_MEM_SWAP,
	CGROUP_F_MEM_LIMIT,   /* 0: unlimited */
	CGROUP_F_OOM_KILLS,
	CGROUP_F_MEM_EVENTS_HIGH,
	CGROUP_F_MEM_EVENTS_MAX,
	CGROUP_F_PROCESSES,
	CGROUP_F_THREADS,
	CGROUP_F_PSI_CPU_SOME,
	CGROUP_F_PSI_CPU_FULL,
	CGROUP_F_PSI_MEMORY_SOME,
	CGROUP_F_PSI_MEMORY_FULL,
	CGROUP_F_PSI_IO_SOME,
	CGROUP_F_PSI_IO_FULL,
	CGROUP_F_NVALUES,
	/* No value of its own: bytes read and written per device, in the
	 * reader's io array. */
	CGROUP_F_IO = CGROUP_F_NVALUES,
};

#define CGROUP_HAVE(f) (1u << (f))

struct cgroup_io {
	uint32_t major, minor;
	uint64_t rbytes, wbytes;
};

struct cgroup_stats {
	uint32_t have;  /* CGROUP_HAVE(field) for each value present */
	unsigned done;  /* CGROUP_READ_* groups read (present or not) */
	double v[CGROUP_F_NVALUES];
	uint32_t io_off, io_n; /* devices: reader->io[io_off .. io_off+io_n) */
};

struct cgroup_reader {
	struct hw_buf buf;     /* one file at a time */
	struct cgroup_io *io;  /* devices of every cgroup read since the reset */
	size_t nio, io_cap;
	double user_hz;        /* sysconf(_SC_CLK_TCK): cpuacct.stat's unit */
};

void cgroup_reader_init(struct cgroup_reader *r);
void cgroup_reader_free(struct cgroup_reader *r);
/* Forget the devices read so far (start of a scrape). */
void cgroup_reader_reset(struct cgroup_reader *r);

/* The CGROUP_READ_* set for mount `m` now, probed at its top directory
 * (open as rootfd): a v1 mount's controllers (with memsw when swap is
 * accounted, and whichever blkio file the kernel has); for cgroup2 the
 * core files plus the controllers in its cgroup.controllers. 0 or -errno. */
int cgroup_mount_what(struct cgroup_reader *r, const struct cgroup_mount *m,
		      int rootfd, unsigned *what);

/* `what` without the groups st has already read from another hierarchy. */
unsigned cgroup_what_left(unsigned what, const struct cgroup_stats *st);

/* Read the files `what` asks for in the cgroup directory open as dirfd
 * into st (zeroed first). A file that this cgroup does not have (no
 * memory.current on a root cgroup, a controller not enabled for it) leaves
 * its values out of st->have. 0; -ENOENT when the cgroup itself is gone
 * (removed after it was listed: skip it); -EINVAL for a malformed file;
 * another -errno for other errors. Devices are appended to r->io. */
int cgroup_read_dir(struct cgroup_reader *r, int dirfd, unsigned what,
		    struct cgroup_stats *st);

/* Add to dst the values of src it does not have yet, and src's groups.
 * src must be the last cgroup read: its devices are dropped from r->io when
 * dst keeps its own. */
void cgroup_stats_merge(struct cgroup_reader *r, struct cgroup_stats *dst,
			const struct cgroup_stats *src);
/* Drop the devices of st, the last cgroup read (a cgroup skipped). */
void cgroup_stats_drop(struct cgroup_reader *r, const struct cgroup_stats *st);

/* Read one cgroup, given its path on each hierarchy: path[CGROUP_H_*] as
 * /proc/PID/cgroup gives it ("/system.slice/docker-ID.scope"; NULL: not
 * on that hierarchy; a mount of several controllers uses its first one's),
 * from every mount of l, merged as described at the top, into st. 0
 * (st->have may still be 0), -ENOENT when the cgroup is on none of them,
 * -EINVAL for a malformed file. Devices are appended to r->io. */
int cgroup_read_path(struct cgroup_reader *r, const struct cgroup_layout *l,
		     const char *const path[CGROUP_H_COUNT],
		     struct cgroup_stats *st);

/* The hierarchies' tops, open, and what each provides: made once for
 * many cgroup_read_path_at calls (a scrape's containers) instead of once
 * per cgroup. A mount that cannot be opened now is skipped (fd -1). */
struct cgroup_roots {
	int fd[CGROUP_H_COUNT];     /* per mount of the layout, in its order */
	unsigned what[CGROUP_H_COUNT];
};
int cgroup_roots_open(struct cgroup_reader *r, const struct cgroup_layout *l,
		      struct cgroup_roots *roots);
void cgroup_roots_close(struct cgroup_roots *roots);
/* cgroup_read_path through roots opened by cgroup_roots_open. */
int cgroup_read_path_at(struct cgroup_reader *r, const struct cgroup_layout *l,
			const struct cgroup_roots *roots,
			const char *const path[CGROUP_H_COUNT],
			struct cgroup_stats *st);

/* Device names for io stats: "/dev/" + DEVNAME of
 * <sysfs>/dev/block/MAJ:MIN/uevent, cached; "MAJ:MIN" when there is none. */
struct cgroup_devname {
	uint32_t major, minor;
	unsigned seen;  /* cgroup_devnames.generation when last resolved */
	char name[64];
};
struct cgroup_devnames {
	struct cgroup_devname *d;
	size_t n, cap;
	unsigned generation; /* bumped per scrape; names older than
				CGROUP_DEVNAME_TTL generations are read again */
};
#define CGROUP_DEVNAME_TTL 64
const char *cgroup_devname(struct cgroup_devnames *c, struct hw_buf *buf,
			   const char *sysfs, uint32_t major, uint32_t minor);
void cgroup_devnames_free(struct cgroup_devnames *c);

#endif
