/* process_groups: the processes in a group, read on every scan. See
 * procgroups.h. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hostwatch/log.h"
#include "hostwatch/readfile.h"

#include "procgroups.h"

/* ---- members ------------------------------------------------------------ */

static int pg_member_alloc(struct pg_state *st, int32_t pid)
{
	int32_t i = st->free_member;
	if (i >= 0) {
		st->free_member = st->members[i].next_free;
	} else {
		if (st->nmembers == st->members_cap) {
			size_t cap = st->members_cap ? 2 * st->members_cap : 16;
			struct pg_member *m =
				realloc(st->members, cap * sizeof(*m));
			if (!m)
				return -ENOMEM;
			st->members = m;
			st->members_cap = cap;
		}
		i = (int32_t)st->nmembers++;
	}
	struct pg_member *m = &st->members[i];
	memset(m, 0, sizeof(*m));
	m->stat = (struct hw_kept)KEPT_INIT;
	m->status = (struct hw_kept)KEPT_INIT;
	m->fd_dir = -1;
	m->next_free = -1;
	if (st->on_procfs && st->kept < st->kept_max) {
		char path[32];
		pg_pid_path(path, pid, "stat");
		int rc = kept_init(&m->stat, NULL, path, KEPT_SINGLE);
		pg_pid_path(path, pid, "status");
		if (rc == 0)
			rc = kept_init(&m->status, NULL, path, KEPT_SINGLE);
		if (rc == 0) {
			m->kept = true;
			st->kept++;
		} else {
			kept_fini(&m->stat);
			kept_fini(&m->status);
		}
	}
	return i;
}

void pg_member_free(struct pg_state *st, int32_t i)
{
	struct pg_member *m = &st->members[i];
	if (m->kept)
		st->kept--;
	kept_fini(&m->stat);
	kept_fini(&m->status);
	if (m->fd_dir >= 0)
		close(m->fd_dir);
	m->fd_dir = -1;
	m->kept = false;
	m->next_free = st->free_member;
	st->free_member = i;
}

void pg_leave(struct pg_state *st, struct pg_proc *e)
{
	if (e->group == PG_NONE)
		return;
	struct pg_group *g = &st->groups[e->group];
	const struct pg_member *m = &st->members[e->member];
	g->gone_utime += m->utime;
	g->gone_stime += m->stime;
	pg_member_free(st, e->member);
	e->group = PG_NONE;
	e->member = -1;
}

int pg_join(struct pg_state *st, struct pg_proc *e, int g)
{
	int i = pg_member_alloc(st, e->pid);
	if (i < 0)
		return i;
	e->member = i;
	e->group = (int16_t)g;
	return 0;
}

/* ---- reading one process ------------------------------------------------ */

int pg_read_stat(struct pg_state *st, const struct pg_proc *e,
		 struct pg_stat *ps)
{
	int rc;
	if (e->member >= 0 && st->members[e->member].kept) {
		rc = kept_read_at(&st->members[e->member].stat, st->procfd,
				  st->buf, PG_STAT_MAX);
	} else {
		char path[32];
		pg_pid_path(path, e->pid, "stat");
		rc = readfile_at(st->procfd, path, st->buf, PG_STAT_MAX);
	}
	return rc < 0 ? rc : pg_parse_stat(st->buf->data, ps);
}

/* Open file descriptors: the entries of fd/. Unreadable (another user's
 * process when we are not root) counts 0, as process-exporter reports
 * what it can. */
static int pg_fd_count(struct pg_state *st, int fd, uint64_t *count)
{
	/* Since Linux 6.2 the size procfs reports for /proc/PID/fd is the
	 * number of open descriptors (fs/proc/fd.c, proc_fd_getattr): one
	 * fstat instead of listing them all. 0 means an older kernel, or
	 * no descriptor open: the listing tells. Off procfs (test trees)
	 * a directory's size means something else. */
	struct stat sb;
	if (st->on_procfs && fstat(fd, &sb) == 0 && sb.st_size > 0) {
		*count = (uint64_t)sb.st_size;
		return 0;
	}
	return pg_count_dir(fd, st->list.dents, PG_DENTS_SIZE, count);
}

static int pg_read_fds(struct pg_state *st, const struct pg_proc *e,
		       struct pg_member *m)
{
	int fd = m->fd_dir;
	int rc;
	if (fd >= 0) {
		rc = pg_fd_count(st, fd, &m->fds);
		if (rc == 0)
			return 0;
		close(fd);
		m->fd_dir = fd = -1;
	}
	char path[32];
	pg_pid_path(path, e->pid, "fd");
	fd = openat(st->procfd, path,
		    O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOCTTY);
	rc = fd < 0 ? -errno : pg_fd_count(st, fd, &m->fds);
	if (fd >= 0 && rc == 0 && m->kept)
		m->fd_dir = fd;
	else if (fd >= 0)
		close(fd);
	if (rc == -EACCES || rc == -EPERM) {
		if (!st->fd_denied_logged)
			log_debug("process_groups: %s/%s not readable, "
				  "counting 0 open files (not root?)",
				  st->cfg->procfs, path);
		st->fd_denied_logged = true;
		m->fds = 0;
		rc = 0;
	}
	return rc;
}

/* Values of a process in a group, from its stat (already read) and a
 * read of status and fd/. */
int pg_member_update(struct pg_state *st, const struct pg_proc *e,
		     const struct pg_stat *ps)
{
	struct pg_member *m = &st->members[e->member];
	if (ps->utime > m->utime)
		m->utime = ps->utime;
	if (ps->stime > m->stime)
		m->stime = ps->stime;
	m->state = ps->state;
	m->threads = ps->num_threads;
	m->vsize = ps->vsize;
	m->rss = ps->rss;
	int rc;
	if (m->kept) {
		rc = kept_read_at(&m->status, st->procfd, st->buf,
				  PG_STATUS_MAX);
	} else {
		char path[32];
		pg_pid_path(path, e->pid, "status");
		rc = readfile_at(st->procfd, path, st->buf, PG_STATUS_MAX);
	}
	if (rc == 0)
		rc = pg_parse_status_swap(st->buf->data, &m->swap_kb);
	if (rc < 0)
		return rc;
	return pg_read_fds(st, e, m);
}
