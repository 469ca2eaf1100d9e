/* process_groups internals, shared by its files:
 *   procgroups.c         the collector: life cycle, the scan (merging the
 *                        listing with the process table), accounting
 *   procgroups_member.c  reading a process in a group, every scan
 *   procgroups_match.c   matching a process against the sections
 *   procgroups_emit.c    the output
 *   procgroups_proc.c    listing <procfs>, parsing /proc/PID files */
#ifndef HOSTWATCH_COLLECTORS_PROCGROUPS_H
#define HOSTWATCH_COLLECTORS_PROCGROUPS_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hostwatch/buf.h"
#include "hostwatch/config.h"
#include "hostwatch/readfile.h"
#include "hostwatch/regex.h"
#include "hostwatch/sink.h"

/* /proc/PID/stat prints the task name as proc_task_name() does: at most
 * TASK_COMM_LEN-1 bytes, or for a workqueue worker "kworker/u8:2-events..."
 * with the workqueue's description (up to 64 bytes in fs/proc/array.c). */
#define PG_COMM_MAX 64

/* The fields of /proc/PID/stat this collector uses (proc(5) numbering). */
struct pg_stat {
	char comm[PG_COMM_MAX + 1]; /* (2), NUL-terminated, cut to fit */
	char state;                 /* (3) R, S, D, Z, I, T, ... */
	uint64_t utime, stime;      /* (14), (15) clock ticks */
	uint64_t num_threads;       /* (20) */
	uint64_t start;             /* (22) clock ticks after boot */
	uint64_t vsize;             /* (23) bytes */
	uint64_t rss;               /* (24) pages */
};

/* Parse the NUL-terminated contents of /proc/PID/stat. The name is
 * everything between the first '(' and the LAST ')': a name may itself hold
 * ')' and spaces ("my) app"), the numbers after it never do. 0, -EINVAL on
 * a malformed line, -ERANGE on a number past 2^64. */
int pg_parse_stat(const char *data, struct pg_stat *st);

/* VmSwap of /proc/PID/status in kB; 0 when the line is absent (kernel
 * threads and zombies have no Vm* lines). 0 or -EINVAL. */
int pg_parse_status_swap(const char *data, uint64_t *kb);

/* The effective uid: the second field of the "Uid:" line (real, effective,
 * saved, filesystem). 0, or -EINVAL when there is no such line. */
int pg_parse_status_euid(const char *data, unsigned *uid);

/* /proc/PID/cmdline (len bytes at data, data[len] writable) as one string:
 * trailing NULs dropped and every other NUL made a space, as
 * process-exporter joins procfs's CmdLine() with " ". NUL-terminates. */
void pg_cmdline_join(char *data, size_t len);

/* The cgroup path in the NUL-terminated contents of /proc/PID/cgroup: the
 * "0::PATH" line (cgroup v2, or the unified hierarchy of a hybrid host),
 * else the "N:name=systemd:PATH" line of a legacy v1 host; NULL when there
 * is neither. Cuts the line in place. */
const char *pg_cgroup_path(char *data);

/* One process directory of <procfs>: its PID and d_ino. */
struct pg_listent {
	uint64_t ino;
	int32_t pid;
};

/* The numeric entries of <procfs>, sorted by PID; reused across scans. */
struct pg_listing {
	struct pg_listent *v;
	size_t n, cap;
	char *dents; /* getdents64 buffer, PG_DENTS_SIZE bytes */
	/* The directory offset of PID p is p + pid_offset; 0: unknown. */
	int64_t pid_offset;
};
#define PG_DENTS_SIZE 32768

/* List the directory open at dirfd from its start (lseek 0, then
 * getdents64) into l: every all-digit name, which in /proc is a process
 * (thread group) and never a thread. procfs hands them out in ascending
 * PID order (proc_pid_readdir walks next_tgid()); any other filesystem (a
 * fixture tree) is sorted here. 0 or -errno.
 *
 * It also measures l->pid_offset. proc_pid_readdir sets the directory
 * position of PID p's entry to p + TGID_OFFSET (FIRST_PROCESS_ENTRY + 2,
 * 258 since Linux 2.6) and lseek to a position resumes the walk at the
 * first PID at or above it. Each entry's d_off is the position of the
 * next one, so d_off of an entry minus the PID of the entry after it is
 * that constant: it is kept when every pair of consecutive PIDs of the
 * listing gives the same positive number, in ascending order, else 0. */
int pg_list_procs(int dirfd, struct pg_listing *l);

/* Append to l the processes with lo <= PID <= hi, by seeking straight to
 * lo with l->pid_offset (which pg_list_procs measured). 0, -EINVAL without
 * an offset, -EPROTO when the directory does not behave as measured (an
 * entry below lo or out of order), or -errno. */
int pg_list_range(int dirfd, struct pg_listing *l, int32_t lo, int32_t hi);

/* The PIDs an incremental listing must cover, given the last PID the
 * allocator handed out at the previous scan (prev) and now (cur): none
 * when it did not move, (prev, cur] when it moved up, [1, cur] and
 * (prev, max] when it wrapped. Returns the number of ranges. */
struct pg_range {
	int32_t lo, hi;
};
unsigned pg_plan_ranges(int32_t prev, int32_t cur, struct pg_range r[2]);

/* The last PID field of /proc/loadavg ("0.00 0.01 0.05 1/75 3960"), which
 * is the PID namespace's allocation cursor minus one. 0 or -EINVAL. */
int pg_parse_loadavg_last_pid(const char *data, int32_t *pid);
void pg_listing_free(struct pg_listing *l);

/* Number of numeric entries (descriptors, in /proc/PID/fd: nothing else is
 * there but "." and "..") of the directory open at fd, listed from its
 * start with getdents64 through buf (size bytes). A fixture tree's empty
 * fd/ holds a .keep, which does not count. 0 or -errno. */
int pg_count_dir(int fd, char *buf, size_t size, uint64_t *count);

/* Read the file dirfd/path into dst (size bytes): up to size-1 bytes, NUL
 * terminated, the length in *len. Unlike readfile_at this accepts NUL
 * bytes (/proc/PID/cmdline is made of them) and a file longer than the
 * buffer (it is cut: a command line is matched on its first size-1 bytes).
 * 0 or -errno. */
int pg_read_bounded(int dirfd, const char *path, char *dst, size_t size,
		    size_t *len);

/* "PID/name" into dst (at least 32 bytes), for openat on <procfs>. */
void pg_pid_path(char *dst, int32_t pid, const char *name);

/* ---- the collector's state (procgroups.c) ------------------------------- */

#define PG_NONE (-1)
#define PG_STAT_MAX 65536
#define PG_STATUS_MAX (1u << 20)
#define PG_CGROUP_MAX (1u << 20)
#define PG_PROCSTAT_MAX (16u << 20) /* <procfs>/stat, as stat.c */
/* A command line is matched on its first 4 KiB, like ps -o args. */
#define PG_CMDLINE_MAX 4096
/* Processes whose descriptors stay open: 3 each (stat, status, fd/). */
#define PG_KEPT_PROCS_MAX 64

/* Every this many scans the listing is a full one even when the
 * incremental one could do (procgroups.c says why). */
#define PG_FULL_LISTING_EVERY 8

/* A process first examined less than this after it started may not have
 * called execve() yet (a fork of a shell or of systemd still carries its
 * parent's name and arguments), so it is examined again on the next scan. */
#define PG_YOUNG_SECONDS 1

enum { PG_RECHECK = 1, PG_UNREADABLE = 2 };

/* One process examined by a scan; the table is sorted by pid. */
struct pg_proc {
	uint64_t ino;   /* d_ino of <procfs>/PID */
	uint64_t start; /* stat field 22, ticks after boot */
	int32_t pid;
	int32_t member; /* index in pg_state.members, or -1 */
	int16_t group;  /* index in pg_state.groups, or PG_NONE */
	uint16_t flags; /* PG_RECHECK, PG_UNREADABLE */
};

/* What is read every scan for a process in a group. */
struct pg_member {
	uint64_t utime, stime; /* ticks; never allowed to go down */
	uint64_t threads, vsize, rss, swap_kb, fds;
	uint32_t prev_scan; /* the last scan that counted it in its group */
	int32_t next_free;
	char state;
	bool kept;
	struct hw_kept stat, status;
	int fd_dir; /* kept <procfs>/PID/fd, or -1 */
};

enum { PG_OTHER, PG_RUNNING, PG_SLEEPING, PG_WAITING, PG_ZOMBIE, PG_NSTATES };

/* One [process NAME] section: its compiled selectors and what it keeps
 * across scans. */
struct pg_group {
	const struct hw_procgroup *cfg;
	struct hw_regex comm, exe, cmdline, cgroup;
	int32_t pidfile_pid; /* from the pid file at this scan; 0: none */
	uint64_t gone_utime, gone_stime; /* of processes that left */
	uint64_t restarts;
	uint32_t last_nonempty; /* the last scan with a process in it */
	bool shares;            /* this scan kept one from last_nonempty */
	/* this scan's totals */
	uint64_t n, utime, stime, threads, vsize, rss, swap_kb, fds, oldest;
	uint64_t states[PG_NSTATES];
};

/* ctx->priv of the collector; NULL when there is no [process] section. */
struct pg_state {
	const struct hw_config *cfg;
	struct pg_group *groups;
	unsigned ngroups, npidfile;
	unsigned *order;   /* group indices sorted by name */
	unsigned *pidfile; /* indices of the groups with a pid file */

	int procfd; /* <procfs>, kept open when it is procfs */
	bool on_procfs, trust_ino;
	int force_trust_ino; /* -1: as the filesystem says; tests set 0/1 */

	/* Incremental listing (procgroups.c, "Listing"): allowed on procfs
	 * of hostwatch's own PID namespace. Tests can forbid it (0), or
	 * have it on a fixture tree (1): its "loadavg" file then tells the
	 * last PID, and the listing is cut to the ranges. */
	bool incremental;
	int force_incremental; /* -1: as found; 0: never; 1: always */
	struct hw_kept loadavg; /* <procfs>/loadavg, for the last PID */
	int32_t last_pid;       /* at the last listing; -1: unknown */
	int32_t older_pid;      /* at the one before */
	unsigned since_full;    /* incremental listings since a full one */
	bool listed_all;        /* this scan's listing: everything, */
	unsigned nlisted;       /* else these ranges of PIDs */
	struct pg_range listed[2];

	struct pg_proc *procs, *next; /* this table and the one being built */
	size_t nprocs, nnext, cap;
	struct pg_member *members;
	size_t nmembers, members_cap;
	int32_t free_member;
	unsigned kept, kept_max;

	struct pg_listing list;
	uint32_t scan;
	uint64_t btime, now_ticks;
	bool have_btime, fd_denied_logged;
	long clk_tck, page_size;
	int soft_rc; /* first per-process error of this scan */

	struct hw_buf *buf; /* ctx->buf for this collect */
	struct hw_buf cgbuf;
	char cmdline[PG_CMDLINE_MAX + 1];
	char exe[PATH_MAX];
};

/* ---- procgroups_member.c ------------------------------------------------ */

/* e joins group g: a member slot (with kept descriptors while there are
 * fewer than kept_max). 0 or -ENOMEM. */
int pg_join(struct pg_state *st, struct pg_proc *e, int g);
/* e leaves its group (if any): what it used stays in the group's CPU
 * counter; its member slot and descriptors are released. */
void pg_leave(struct pg_state *st, struct pg_proc *e);
/* Release member slot i (descriptors closed). */
void pg_member_free(struct pg_state *st, int32_t i);
/* Read and parse e's stat: through its kept descriptor when it has one,
 * else <procfs>/PID/stat. 0 or -errno (-ENOENT/-ESRCH: gone). */
int pg_read_stat(struct pg_state *st, const struct pg_proc *e,
		 struct pg_stat *ps);
/* A group member's values for this scan: from ps (its stat, just read),
 * VmSwap from status and the entries of fd/. 0 or -errno. */
int pg_member_update(struct pg_state *st, const struct pg_proc *e,
		     const struct pg_stat *ps);

/* ---- procgroups_match.c ------------------------------------------------- */

/* The first group, in file order, whose every selector matches the
 * process pid with stat ps, or PG_NONE. Reads what the selectors need. */
int pg_classify(struct pg_state *st, int32_t pid, const struct pg_stat *ps);
/* Whether e's membership can change while it stays the same process (a
 * pid file involved): such a process is matched again every scan. */
bool pg_dynamic(const struct pg_state *st, const struct pg_proc *e);

/* ---- procgroups_emit.c -------------------------------------------------- */

/* Every family, every group, from this scan's totals. */
void pg_emit(const struct pg_state *st, struct sink *sink);

#endif
