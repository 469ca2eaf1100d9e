/* process_groups: the [process NAME] sections as process-exporter's
 * namedprocess_namegroup_* families (collector/process_collector.go), plus
 * hostwatch_process_group_up and hostwatch_process_group_restarts_total.
 *
 * A scan lists <procfs> (getdents64: numeric names are processes, never
 * threads; all of it, or only the PIDs allocated since the last scan: see
 * "Listing" below) and merges the listing, sorted by PID, with the table of
 * the previous scan. The table remembers every process examined, so only a new
 * one has its selectors read, lazily and in group order (first group wins,
 * every selector of a group must match: process-exporter ANDs its
 * matchers). A process that matched no group costs nothing more while its
 * directory's inode number stays the same:
 *
 * procfs gives /proc/PID the inode of a task's proc inode, numbered by
 * get_next_ino() when it is instantiated (proc_pid_make_inode), and a dead
 * task's dentry is dropped (pid_delete_dentry), so a new process under a
 * reused PID always gets a new number. Measured on this kernel (6.18.44,
 * getdents64 of /proc next to stat(2) of /proc/PID): repeated listings gave
 * a live process the same d_ino (330047, = st_ino); after
 * `echo 2 > /proc/sys/vm/drop_caches` the same process came back as 331249
 * (its dentry was evicted); the same PID reused by a new process (forced
 * through /proc/sys/kernel/ns_last_pid) came back as 330085. PID 1 kept
 * 625 throughout. So an unchanged (PID, d_ino) is the same process and is
 * not read at all; a changed d_ino re-reads /proc/PID/stat and compares the
 * start time (field 22): equal means the same process whose dentry was
 * evicted. The only false "same" is a PID reused exactly when
 * get_next_ino() has wrapped its 32 bits back to the old number. On any
 * other filesystem (a fixture tree) inode numbers prove nothing, and every
 * PID's stat is read on every scan instead.
 *
 * Listing. Even when it examines nothing, listing /proc is most of a scan's
 * cost with thousands of processes (proc_pid_readdir walks every PID and
 * looks up its dentry). So on procfs of hostwatch's own PID namespace a
 * scan lists only the PIDs handed out since the last one: /proc/loadavg's
 * last field is the namespace's last allocated PID, PIDs are allocated
 * cyclically (alloc_pid: idr_alloc_cyclic), and lseek to PID + 258 resumes
 * the listing there (pg_list_procs measures that offset). Moved from prev
 * to cur, the allocator gave out (prev, cur], or after a wrap [1, cur] and
 * (prev, max]; PIDs outside those ranges keep the processes they had. prev
 * is the last PID of the scan before the last one (pg_list says why).
 * The table's entries outside the ranges carry over unlisted: a group's
 * member is read every scan all the same (its exit shows there), and a
 * process that matched nothing needs no reading. A dead one stays in the
 * table until the next full listing, harmlessly: its PID, when reused,
 * is in a listed range with a new inode number. The allocator can also
 * hand out a PID outside the ranges: a full cycle of pid_max between two
 * scans, or a process created with a chosen PID (clone3 set_tid, by
 * checkpoint/restore). Such a process is found by the full listing that
 * every PG_FULL_LISTING_EVERY-th scan makes, as it is on any other
 * filesystem, in another PID namespace, or when loadavg cannot be read.
 *
 * A process is matched once, when it is new, like process-exporter without
 * -recheck; except one first seen in its first second (PG_YOUNG_SECONDS),
 * which may not have called execve() yet, and one whose group depends on a
 * pid file, which is re-read every scan.
 *
 * Processes in a group are read on every scan (stat, VmSwap of status, the
 * number of entries of fd/: its size in fstat since Linux 6.2, else a
 * listing). On procfs their descriptors are kept open between scans
 * for up to PG_KEPT_PROCS_MAX processes (pread from 0 regenerates a
 * single_open file, readfile.h's kept files): an open descriptor follows
 * its struct pid, so after the process is gone it fails with ESRCH and is
 * reopened by path, which the start time then tells apart. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/statfs.h>
#include <time.h>
#include <unistd.h>

#include <linux/magic.h>

#include "hostwatch/collector.h"
#include "hostwatch/log.h"
#include "hostwatch/readfile.h"
#include "hostwatch/regex.h"

#include "procgroups.h"

static bool pg_vanished(int rc)
{
	return rc == -ENOENT || rc == -ESRCH;
}

static void pg_soft(struct pg_state *st, int rc)
{
	if (rc < 0 && st->soft_rc == 0)
		st->soft_rc = rc;
}

/* ---- the scan ----------------------------------------------------------- */

static void pg_out(struct pg_state *st, const struct pg_proc *e)
{
	st->next[st->nnext++] = *e; /* room made before the merge */
}

/* e is the process now at its PID (identity checked), ps its stat: match
 * it when asked, read its values when it is in a group, and keep it. */
static void pg_settle(struct pg_state *st, struct pg_proc *e,
		      const struct pg_stat *ps, bool match)
{
	if (match) {
		int g = pg_classify(st, e->pid, ps);
		uint64_t young = (uint64_t)PG_YOUNG_SECONDS * (uint64_t)st->clk_tck;
		if (ps->start <= st->now_ticks && st->now_ticks - ps->start < young)
			e->flags |= PG_RECHECK;
		else
			e->flags &= (uint16_t)~PG_RECHECK;
		if (g != e->group) {
			pg_leave(st, e);
			if (g != PG_NONE) {
				int rc = pg_join(st, e, g);
				pg_soft(st, rc);
			}
		}
	}
	if (e->group != PG_NONE) {
		int rc = pg_member_update(st, e, ps);
		if (pg_vanished(rc)) {
			pg_leave(st, e);
			return;
		}
		pg_soft(st, rc);
	}
	pg_out(st, e);
}

/* A PID not in the table, or one whose process was replaced; ps is its
 * stat when the caller has read it already. */
static void pg_new(struct pg_state *st, int32_t pid, uint64_t ino,
		   const struct pg_stat *ps)
{
	struct pg_proc e = {.pid = pid, .ino = ino, .member = -1,
			    .group = PG_NONE};
	struct pg_stat own;
	if (!ps) {
		int rc = pg_read_stat(st, &e, &own);
		if (pg_vanished(rc))
			return;
		if (rc == -EACCES || rc == -EPERM) {
			/* hidepid=1: listed, not readable. Matches nothing. */
			e.flags = PG_UNREADABLE;
			pg_out(st, &e);
			return;
		}
		if (rc < 0) {
			pg_soft(st, rc);
			return;
		}
		ps = &own;
	}
	e.start = ps->start;
	pg_settle(st, &e, ps, true);
}

/* A PID that was in the table and is still listed. */
static void pg_existing(struct pg_state *st, struct pg_proc *e, uint64_t ino)
{
	bool match = (e->flags & PG_RECHECK) || pg_dynamic(st, e);
	if (e->group == PG_NONE && !match && st->trust_ino && e->ino == ino) {
		pg_out(st, e);
		return;
	}
	struct pg_stat ps;
	int rc = pg_read_stat(st, e, &ps);
	if (pg_vanished(rc)) {
		pg_leave(st, e);
		return;
	}
	if ((rc == -EACCES || rc == -EPERM) && e->group == PG_NONE) {
		e->ino = ino;
		e->flags = PG_UNREADABLE;
		pg_out(st, e);
		return;
	}
	if (rc < 0) {
		/* Keep what we had: the next scan may read it again. */
		pg_soft(st, rc);
		pg_out(st, e);
		return;
	}
	if ((e->flags & PG_UNREADABLE) || ps.start != e->start) {
		/* A new process under the old PID. */
		pg_leave(st, e);
		pg_new(st, e->pid, ino, &ps);
		return;
	}
	e->ino = ino;
	pg_settle(st, e, &ps, match);
}

static int pg_grow_tables(struct pg_state *st, size_t need)
{
	if (need <= st->cap)
		return 0;
	size_t cap = st->cap ? st->cap : 256;
	while (cap < need)
		cap *= 2;
	struct pg_proc *a = realloc(st->procs, cap * sizeof(*a));
	if (!a)
		return -ENOMEM;
	st->procs = a;
	struct pg_proc *b = realloc(st->next, cap * sizeof(*b));
	if (!b)
		return -ENOMEM;
	st->next = b;
	st->cap = cap;
	return 0;
}

/* Whether this scan's listing covered pid. */
static bool pg_listed(const struct pg_state *st, int32_t pid)
{
	if (st->listed_all)
		return true;
	for (unsigned i = 0; i < st->nlisted; i++)
		if (pid >= st->listed[i].lo && pid <= st->listed[i].hi)
			return true;
	return false;
}

/* A table entry this scan's listing did not name: gone when its PID was
 * in what was listed, else carried over unlisted. */
static void pg_unnamed(struct pg_state *st, struct pg_proc *e)
{
	if (pg_listed(st, e->pid))
		pg_leave(st, e); /* gone */
	else
		pg_existing(st, e, e->ino); /* not looked at */
}

/* An incremental scan that listed no process: nothing joins the table, so
 * it is updated in place, and an entry that nothing can change (in no
 * group, not to be matched again, no pid file configured, not in a listed
 * range) is not even copied. On a host where nothing new lives, a scan
 * touches only the group members among thousands of entries. */
static void pg_update_in_place(struct pg_state *st)
{
	struct pg_proc *spare = st->next;
	st->next = st->procs; /* pg_out writes at or below the entry read */
	st->nnext = 0;
	bool pidfiles = st->npidfile > 0;
	for (size_t i = 0; i < st->nprocs; i++) {
		struct pg_proc *e = &st->procs[i];
		if (e->group == PG_NONE && !(e->flags & PG_RECHECK) &&
		    !pidfiles && !pg_listed(st, e->pid)) {
			if (st->nnext != i)
				st->procs[st->nnext] = *e;
			st->nnext++;
		} else {
			pg_unnamed(st, e);
		}
	}
	st->next = spare;
	st->nprocs = st->nnext;
}

/* Merge this scan's listing with the table; both are sorted by PID. */
static void pg_merge(struct pg_state *st)
{
	const struct pg_listent *l = st->list.v;
	size_t nl = st->list.n, i = 0, j = 0;
	st->nnext = 0;
	while (i < st->nprocs || j < nl) {
		if (j == nl || (i < st->nprocs && st->procs[i].pid < l[j].pid)) {
			pg_unnamed(st, &st->procs[i++]);
		} else if (i == st->nprocs || l[j].pid < st->procs[i].pid) {
			pg_new(st, l[j].pid, l[j].ino, NULL);
			j++;
		} else {
			pg_existing(st, &st->procs[i++], l[j++].ino);
		}
	}
	struct pg_proc *t = st->procs;
	st->procs = st->next;
	st->next = t;
	st->nprocs = st->nnext;
}

static int pg_state_index(char state)
{
	switch (state) {
	case 'R':
		return PG_RUNNING;
	case 'S':
		return PG_SLEEPING;
	case 'D':
		return PG_WAITING;
	case 'Z':
		return PG_ZOMBIE;
	default:
		return PG_OTHER;
	}
}

/* Totals per group, and the restart rule: a group that has processes now,
 * had some before, and kept none of those it had at its last non-empty
 * scan was restarted (once, however many times it happened in between). */
static void pg_account(struct pg_state *st)
{
	for (unsigned i = 0; i < st->ngroups; i++) {
		struct pg_group *g = &st->groups[i];
		g->n = g->threads = g->vsize = g->rss = g->swap_kb = g->fds = 0;
		g->utime = g->gone_utime;
		g->stime = g->gone_stime;
		g->oldest = UINT64_MAX;
		memset(g->states, 0, sizeof(g->states));
		g->shares = false;
	}
	for (size_t i = 0; i < st->nprocs; i++) {
		const struct pg_proc *e = &st->procs[i];
		if (e->group == PG_NONE)
			continue;
		struct pg_group *g = &st->groups[e->group];
		struct pg_member *m = &st->members[e->member];
		g->n++;
		g->utime += m->utime;
		g->stime += m->stime;
		g->threads += m->threads;
		g->vsize += m->vsize;
		g->rss += m->rss;
		g->swap_kb += m->swap_kb;
		g->fds += m->fds;
		g->states[pg_state_index(m->state)]++;
		if (e->start < g->oldest)
			g->oldest = e->start;
		if (m->prev_scan && m->prev_scan == g->last_nonempty)
			g->shares = true;
		m->prev_scan = st->scan;
	}
	for (unsigned i = 0; i < st->ngroups; i++) {
		struct pg_group *g = &st->groups[i];
		if (!g->n)
			continue;
		if (g->last_nonempty && !g->shares)
			g->restarts++;
		g->last_nonempty = st->scan;
	}
}

/* ---- listing ------------------------------------------------------------ */

/* The last PID the allocator handed out, or -1 when it cannot be read. */
static int32_t pg_last_pid(struct pg_state *st)
{
	char text[128];
	int32_t pid;
	if (kept_read_small_at(&st->loadavg, st->procfd, text, sizeof(text)) <
		    0 ||
	    pg_parse_loadavg_last_pid(text, &pid) < 0)
		return -1;
	return pid;
}

/* Whether <procfs> (open at procfd) belongs to our PID namespace:
 * loadavg's last PID is that of the reader's namespace, the listing that
 * of the mount's. Its "self" names us there by our PID in its namespace. */
static bool pg_own_pid_namespace(int procfd)
{
	char link[24];
	ssize_t n = readlinkat(procfd, "self", link, sizeof(link) - 1);
	if (n <= 0)
		return false;
	link[n] = '\0';
	const char *p = link;
	uint64_t pid;
	return parse_u64(&p, &pid) == 0 && *p == '\0' &&
	       pid == (uint64_t)getpid();
}

/* The last PIDs move on by one scan: cur is this scan's. */
static void pg_listed_up_to(struct pg_state *st, int32_t cur)
{
	st->older_pid = st->last_pid;
	st->last_pid = cur;
}

static int pg_list_all(struct pg_state *st, int32_t cur)
{
	int rc = pg_list_procs(st->procfd, &st->list);
	if (rc < 0)
		return rc;
	st->listed_all = true;
	st->nlisted = 0;
	st->since_full = 0;
	pg_listed_up_to(st, cur);
	return 0;
}

/* This scan's listing: the PIDs allocated since the scan before the last
 * one when that is known to be enough, else all of them.
 *
 * Why not since the last scan: the allocator's cursor moves when fork
 * reserves a PID (alloc_pid), and the process shows in a listing only when
 * copy_process attaches it, microseconds later. A process being forked
 * while a scan lists can have its PID at or below that scan's last PID
 * and not be listed yet; the next scan lists it, a whole interval later. */
static int pg_list(struct pg_state *st)
{
	int32_t cur = st->incremental ? pg_last_pid(st) : -1;
	if (cur <= 0 || st->older_pid <= 0 ||
	    (st->on_procfs && st->list.pid_offset <= 0) ||
	    st->since_full + 1 >= PG_FULL_LISTING_EVERY)
		return pg_list_all(st, cur);
	st->nlisted = pg_plan_ranges(st->older_pid, cur, st->listed);
	int rc = 0;
	if (st->on_procfs) {
		st->list.n = 0;
		for (unsigned i = 0; i < st->nlisted && rc == 0; i++)
			rc = pg_list_range(st->procfd, &st->list,
					   st->listed[i].lo, st->listed[i].hi);
	} else {
		/* A test's fixture tree (force_incremental): no offsets to
		 * seek to, so all of it, then only the ranges kept. */
		rc = pg_list_procs(st->procfd, &st->list);
		size_t w = 0;
		st->listed_all = false;
		for (size_t r = 0; rc == 0 && r < st->list.n; r++)
			if (pg_listed(st, st->list.v[r].pid))
				st->list.v[w++] = st->list.v[r];
		st->list.n = w;
	}
	if (rc == -EPROTO) {
		log_warn("process_groups: %s does not list from a PID as "
			 "measured; listing all of it on every scan from now on",
			 st->cfg->procfs);
		st->incremental = false;
		return pg_list_all(st, -1);
	}
	if (rc < 0)
		return rc;
	st->listed_all = false;
	st->since_full++;
	pg_listed_up_to(st, cur);
	return 0;
}

/* ---- life cycle --------------------------------------------------------- */

/* btime of <procfs>/stat, read once: the kernel derives it from the
 * current wall clock minus uptime, so it can move by a second between
 * reads, and a start time must not. */
static int pg_read_btime(struct pg_state *st)
{
	int rc = readfile_text_path(st->cfg->procfs, "stat", st->buf,
				    PG_PROCSTAT_MAX);
	if (rc < 0)
		return rc;
	for (const char *l = st->buf->data; *l; l = next_line(l)) {
		if (strncmp(l, "btime ", 6) == 0) {
			const char *p = l + 6;
			if (parse_u64(&p, &st->btime) < 0)
				return -EINVAL;
			st->have_btime = true;
			return 0;
		}
	}
	return -ENODATA;
}

static int pg_open_procfs(struct pg_state *st)
{
	if (st->procfd >= 0)
		return 0;
	int fd = open(st->cfg->procfs, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	struct statfs sf;
	st->procfd = fd;
	st->on_procfs = fstatfs(fd, &sf) == 0 && sf.f_type == PROC_SUPER_MAGIC;
	st->trust_ino = st->force_trust_ino >= 0 ? st->force_trust_ino != 0
						 : st->on_procfs;
	st->incremental = st->force_incremental == 1 ||
			  (st->on_procfs && st->force_incremental != 0 &&
			   pg_own_pid_namespace(fd));
	return 0;
}

static void pg_release_procfs(struct pg_state *st)
{
	if (st->procfd >= 0 && !st->on_procfs) {
		close(st->procfd);
		st->procfd = -1;
	}
}

static void pg_read_pidfiles(struct pg_state *st)
{
	for (unsigned i = 0; i < st->npidfile; i++) {
		struct pg_group *g = &st->groups[st->pidfile[i]];
		char text[32];
		g->pidfile_pid = 0;
		if (readfile_small(AT_FDCWD, g->cfg->pidfile, text,
				   sizeof(text)) < 0)
			continue;
		const char *p = text;
		uint64_t pid;
		/* Blanks around the number are fine; anything else is no PID. */
		if (parse_u64(&p, &pid) == 0 && pid > 0 && pid <= INT32_MAX &&
		    *skip_blanks(p) == '\0')
			g->pidfile_pid = (int32_t)pid;
	}
}

static uint64_t pg_boottime_ticks(const struct pg_state *st)
{
	struct timespec ts;
	if (clock_gettime(CLOCK_BOOTTIME, &ts) < 0)
		return 0;
	return (uint64_t)ts.tv_sec * (uint64_t)st->clk_tck +
	       (uint64_t)ts.tv_nsec / (1000000000u / (uint64_t)st->clk_tck);
}

static int pg_collect(struct hw_ctx *ctx, struct sink *sink)
{
	struct pg_state *st = ctx->priv;
	if (!st)
		return 0; /* no [process] sections */
	st->buf = &ctx->buf;
	st->soft_rc = 0;
	int rc = 0;
	if (!st->have_btime && (rc = pg_read_btime(st)) < 0)
		return rc;
	if ((rc = pg_open_procfs(st)) < 0)
		return rc;
	rc = pg_list(st);
	if (rc < 0 && st->on_procfs && rc != -ENOMEM) {
		/* The kept descriptor went bad: open it once more. */
		close(st->procfd);
		st->procfd = -1;
		if ((rc = pg_open_procfs(st)) == 0)
			rc = pg_list_all(st, -1);
	}
	/* The new table holds what was listed, plus, after an incremental
	 * listing, what was carried over unlisted. */
	if (rc == 0)
		rc = pg_grow_tables(st, st->listed_all
						? st->list.n
						: st->nprocs + st->list.n);
	if (rc < 0) {
		pg_release_procfs(st);
		return rc;
	}
	st->scan++;
	st->now_ticks = pg_boottime_ticks(st);
	pg_read_pidfiles(st);
	if (!st->listed_all && st->list.n == 0)
		pg_update_in_place(st);
	else
		pg_merge(st);
	pg_release_procfs(st);
	pg_account(st);
	pg_emit(st, sink);
	return st->soft_rc;
}

static void pg_fini(struct hw_ctx *ctx)
{
	struct pg_state *st = ctx->priv;
	if (!st)
		return;
	for (size_t i = 0; i < st->nprocs; i++)
		if (st->procs[i].member >= 0)
			pg_member_free(st, st->procs[i].member);
	for (unsigned i = 0; st->groups && i < st->ngroups; i++) {
		hw_regex_free(&st->groups[i].comm);
		hw_regex_free(&st->groups[i].exe);
		hw_regex_free(&st->groups[i].cmdline);
		hw_regex_free(&st->groups[i].cgroup);
	}
	if (st->procfd >= 0)
		close(st->procfd);
	kept_fini(&st->loadavg);
	pg_listing_free(&st->list);
	buf_free(&st->cgbuf);
	free(st->members);
	free(st->procs);
	free(st->next);
	free(st->order);
	free(st->pidfile);
	free(st->groups);
	free(st);
	ctx->priv = NULL;
}

/* Group indices by name (insertion sort: at most 256 sections), the order
 * client_golang sorts samples in. */
static void pg_sort_groups(struct pg_state *st)
{
	for (unsigned i = 1; i < st->ngroups; i++) {
		unsigned v = st->order[i], j = i;
		for (; j > 0 && strcmp(st->groups[st->order[j - 1]].cfg->name,
				       st->groups[v].cfg->name) > 0;
		     j--)
			st->order[j] = st->order[j - 1];
		st->order[j] = v;
	}
}

static int pg_compile(struct hw_regex *re, const struct hw_procgroup *c,
		      const char *key, const char *pattern)
{
	char err[256];
	if (!pattern)
		return 0;
	if (hw_regex_compile(re, pattern, err, sizeof(err)) < 0) {
		log_error("[process %s] %s: %s", c->name, key, err);
		return -EINVAL;
	}
	return 0;
}

static int pg_init(struct hw_ctx *ctx)
{
	const struct hw_config *cfg = ctx->cfg;
	if (cfg->n_procgroups == 0)
		return 0;
	struct pg_state *st = calloc(1, sizeof(*st));
	if (!st)
		return -ENOMEM;
	ctx->priv = st;
	st->cfg = cfg;
	st->procfd = -1;
	st->force_trust_ino = -1;
	st->force_incremental = -1;
	st->last_pid = st->older_pid = -1;
	st->loadavg = (struct hw_kept)KEPT_INIT;
	st->free_member = -1;
	st->ngroups = cfg->n_procgroups;
	st->groups = calloc(st->ngroups, sizeof(*st->groups));
	st->order = calloc(st->ngroups, sizeof(*st->order));
	st->pidfile = calloc(st->ngroups, sizeof(*st->pidfile));
	if (!st->groups || !st->order || !st->pidfile) {
		pg_fini(ctx);
		return -ENOMEM;
	}
	int rc = 0;
	for (unsigned i = 0; i < st->ngroups && rc == 0; i++) {
		struct pg_group *g = &st->groups[i];
		const struct hw_procgroup *c = &cfg->procgroups[i];
		g->cfg = c;
		st->order[i] = i;
		if (c->pidfile)
			st->pidfile[st->npidfile++] = i;
		if ((rc = pg_compile(&g->comm, c, "comm", c->comm)) == 0 &&
		    (rc = pg_compile(&g->exe, c, "exe", c->exe)) == 0 &&
		    (rc = pg_compile(&g->cmdline, c, "cmdline", c->cmdline)) == 0)
			rc = pg_compile(&g->cgroup, c, "cgroup", c->cgroup);
	}
	if (rc == 0)
		rc = kept_init(&st->loadavg, NULL, "loadavg", KEPT_SINGLE);
	if (rc < 0) {
		pg_fini(ctx);
		return rc;
	}
	pg_sort_groups(st);

	st->clk_tck = sysconf(_SC_CLK_TCK);
	if (st->clk_tck <= 0)
		st->clk_tck = 100; /* USER_HZ on every Linux architecture */
	st->page_size = sysconf(_SC_PAGESIZE);
	if (st->page_size <= 0)
		st->page_size = 4096;
	/* A quarter of the descriptor limit at most, 3 per process. */
	struct rlimit rl;
	rlim_t limit = getrlimit(RLIMIT_NOFILE, &rl) == 0 ? rl.rlim_cur : 1024;
	st->kept_max = limit / 12 < PG_KEPT_PROCS_MAX ? (unsigned)(limit / 12)
						      : PG_KEPT_PROCS_MAX;
	return 0;
}

const struct collector collector_process_groups = {
	.name = "process_groups",
	.enabled_by_default = true,
	.init = pg_init,
	.collect = pg_collect,
	.fini = pg_fini,
};
