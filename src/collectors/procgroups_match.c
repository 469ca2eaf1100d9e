/* process_groups: matching a new process against the [process] sections,
 * reading only what their selectors need. See procgroups.h. */
#include "config.h"

#include <unistd.h>

#include "hostwatch/readfile.h"
#include "hostwatch/regex.h"

#include "procgroups.h"

/* What the selectors look at, read when a selector first needs it:
 * 0 not read yet, 1 read, -1 not available (vanished, no permission, a
 * kernel thread has no exe). */
struct pg_attrs {
	int32_t pid;
	const struct pg_stat *ps;
	signed char exe, cmdline, cgroup, uid;
	const char *cgroup_path;
	unsigned euid;
};

static bool pg_attr_exe(struct pg_state *st, struct pg_attrs *a)
{
	if (a->exe == 0) {
		char path[32];
		pg_pid_path(path, a->pid, "exe");
		ssize_t n = readlinkat(st->procfd, path, st->exe,
				       sizeof(st->exe) - 1);
		a->exe = n < 0 ? -1 : 1;
		st->exe[n < 0 ? 0 : n] = '\0';
	}
	return a->exe > 0;
}

static bool pg_attr_cmdline(struct pg_state *st, struct pg_attrs *a)
{
	if (a->cmdline == 0) {
		char path[32];
		size_t len;
		pg_pid_path(path, a->pid, "cmdline");
		int rc = pg_read_bounded(st->procfd, path, st->cmdline,
					 sizeof(st->cmdline), &len);
		a->cmdline = rc < 0 ? -1 : 1;
		if (rc == 0)
			pg_cmdline_join(st->cmdline, len);
	}
	return a->cmdline > 0;
}

static bool pg_attr_cgroup(struct pg_state *st, struct pg_attrs *a)
{
	if (a->cgroup == 0) {
		char path[32];
		pg_pid_path(path, a->pid, "cgroup");
		int rc = readfile_at(st->procfd, path, &st->cgbuf,
				     PG_CGROUP_MAX);
		a->cgroup_path = rc < 0 ? NULL : pg_cgroup_path(st->cgbuf.data);
		a->cgroup = a->cgroup_path ? 1 : -1;
	}
	return a->cgroup > 0;
}

/* The effective uid, as ps's USER column and process-exporter's
 * {{.Username}} use it: a daemon that drops privileges (nginx workers)
 * belongs to the user it runs as. */
static bool pg_attr_uid(struct pg_state *st, struct pg_attrs *a)
{
	if (a->uid == 0) {
		char path[32];
		pg_pid_path(path, a->pid, "status");
		int rc = readfile_at(st->procfd, path, st->buf, PG_STATUS_MAX);
		if (rc == 0)
			rc = pg_parse_status_euid(st->buf->data, &a->euid);
		a->uid = rc < 0 ? -1 : 1;
	}
	return a->uid > 0;
}

/* The first group, in file order, whose every selector matches; the
 * cheap selectors are tried first. */
static int pg_first_group(struct pg_state *st, struct pg_attrs *a)
{
	for (unsigned i = 0; i < st->ngroups; i++) {
		const struct pg_group *g = &st->groups[i];
		const struct hw_procgroup *c = g->cfg;
		if (c->pidfile && g->pidfile_pid != a->pid)
			continue;
		if (c->comm && !hw_regex_match(&g->comm, a->ps->comm))
			continue;
		if (c->exe && (!pg_attr_exe(st, a) ||
			       !hw_regex_match(&g->exe, st->exe)))
			continue;
		if (c->cmdline && (!pg_attr_cmdline(st, a) ||
				   !hw_regex_match(&g->cmdline, st->cmdline)))
			continue;
		if (c->cgroup && (!pg_attr_cgroup(st, a) ||
				  !hw_regex_match(&g->cgroup, a->cgroup_path)))
			continue;
		if (c->has_user && (!pg_attr_uid(st, a) || a->euid != c->uid))
			continue;
		return (int)i;
	}
	return PG_NONE;
}

/* Membership can change without the process changing when a pid file
 * names another PID, or now names this one. */
bool pg_dynamic(const struct pg_state *st, const struct pg_proc *e)
{
	if (st->npidfile == 0)
		return false;
	if (e->group != PG_NONE && st->groups[e->group].cfg->pidfile)
		return true;
	for (unsigned i = 0; i < st->npidfile; i++)
		if (st->groups[st->pidfile[i]].pidfile_pid == e->pid)
			return true;
	return false;
}

int pg_classify(struct pg_state *st, int32_t pid, const struct pg_stat *ps)
{
	struct pg_attrs a = {.pid = pid, .ps = ps};
	return pg_first_group(st, &a);
}
