/* The cpu collector's thermal throttle counters: see cputhrottle.h. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cputhrottle.h"
#include "goparse.h"

/* Make room for `need` elements of `size` bytes in *arr. */
int cpu_reserve(void *arr, size_t *cap, size_t need, size_t size)
{
	void **a = arr;
	if (need <= *cap)
		return 0;
	size_t n = *cap ? *cap : 8;
	while (n < need)
		n *= 2;
	void *p = realloc(*a, n * size);
	if (!p)
		return -ENOMEM;
	*a = p;
	*cap = n;
	return 0;
}

static int cpu_cmp_name(const void *a, const void *b)
{
	return strcmp(a, b);
}

static int cpu_cmp_pkg(const void *a, const void *b)
{
	return strcmp(((const struct cpu_pkg *)a)->pkg,
		      ((const struct cpu_pkg *)b)->pkg);
}

static int cpu_cmp_core(const void *a, const void *b)
{
	const struct cpu_core *x = a, *y = b;
	int c = strcmp(x->core, y->core);
	return c ? c : strcmp(x->pkg, y->pkg);
}

int cpu_throttles_init(struct cpu_throttles *th, const char *sysfs)
{
	memset(th, 0, sizeof(*th));
	th->sysdir = (struct hw_kept_dir)KEPT_DIR_INIT;
	for (size_t i = 0; i < CPU_KEPT_CPUS; i++)
		th->topo[i].pkg = th->topo[i].core = (struct hw_kept)KEPT_INIT;
	return keptdir_init(&th->sysdir, sysfs, "devices/system/cpu");
}

void cpu_throttles_fini(struct cpu_throttles *th)
{
	keptdir_fini(&th->sysdir);
	for (size_t i = 0; i < CPU_KEPT_CPUS; i++) {
		kept_fini(&th->topo[i].pkg);
		kept_fini(&th->topo[i].core);
	}
	free(th->dirs);
	buf_free(&th->listing);
	free(th->pkgs);
	free(th->cores);
	th->dirs = NULL;
	th->pkgs = NULL;
	th->cores = NULL;
	th->ndirs = th->dirs_cap = th->npkgs = th->pkgs_cap = 0;
	th->ncores = th->cores_cap = 0;
}

/* A sysfs file holding one unsigned number, as cpu_linux.go's
 * readUintFromFile: ParseUint(TrimSpace(contents)). Read from `kf` when it
 * is not NULL, else opened as `rel` relative to dirfd. */
static int cpu_read_uint(struct hw_kept *kf, int dirfd, const char *rel,
			 char *label, uint64_t *out)
{
	char buf[64];
	int rc = kf ? kept_read_small_at(kf, dirfd, buf, sizeof(buf))
		    : readfile_small(dirfd, rel, buf, sizeof(buf));
	if (rc < 0)
		return rc;
	const char *s = buf, *e = buf + strlen(buf);
	while (go_is_space(*s))
		s++;
	while (e > s && go_is_space(e[-1]))
		e--;
	rc = go_parse_uint(s, (size_t)(e - s), out);
	if (rc == 0 && label)
		snprintf(label, CPU_NUM_LEN, "%" PRIu64, *out);
	return rc;
}


/* The sorted names matching sysfs devices/system/cpu/cpu[0-9]*, as
 * filepath.Glob returns them. A directory that cannot be read is no match
 * (Glob ignores I/O errors). */
static int cpu_list_dirs(struct cpu_throttles *th)
{
	int rc = keptdir_list(&th->sysdir);
	if (rc < 0) {
		th->ndirs = 0;
		buf_reset(&th->listing);
		return rc == -ENOMEM ? rc : 0;
	}
	const struct hw_buf *names = &th->sysdir.names;
	/* The same listing as last time: the same sorted names. */
	if (names->len == th->listing.len && th->listing.data &&
	    memcmp(names->data, th->listing.data, names->len) == 0)
		return 0;
	buf_reset(&th->listing);
	th->ndirs = 0;
	for (const char *n = NULL; (n = keptdir_next(&th->sysdir, n));) {
		if (strncmp(n, "cpu", 3) != 0 || n[3] < '0' || n[3] > '9' ||
		    strlen(n) >= CPU_NAME_LEN)
			continue;
		rc = cpu_reserve(&th->dirs, &th->dirs_cap, th->ndirs + 1,
				 sizeof(*th->dirs));
		if (rc < 0)
			return rc;
		strcpy(th->dirs[th->ndirs++], n);
	}
	if (th->ndirs > 1)
		qsort(th->dirs, th->ndirs, sizeof(*th->dirs), cpu_cmp_name);
	buf_put(&th->listing, names->data, names->len);
	if (th->listing.failed) {
		buf_reset(&th->listing);
		return -ENOMEM;
	}
	return 0;
}

/* The kept topology files of the i-th CPU directory `dir`, or NULL past
 * the first CPU_KEPT_CPUS (and when memory is short: opened each time). */
static struct cpu_topo_files *cpu_topo_slot(struct cpu_throttles *th,
					    size_t i, const char *dir)
{
	if (i >= CPU_KEPT_CPUS)
		return NULL;
	struct cpu_topo_files *t = &th->topo[i];
	if (t->dir[0] && strcmp(t->dir, dir) == 0)
		return t;
	/* Another CPU at this position now: its own files. */
	kept_fini(&t->pkg);
	kept_fini(&t->core);
	t->dir[0] = '\0';
	char rel[CPU_NAME_LEN + 64];
	if (!path_cat(rel, sizeof(rel), dir, "topology/physical_package_id") ||
	    kept_init(&t->pkg, NULL, rel, KEPT_SINGLE) < 0)
		return NULL;
	if (!path_cat(rel, sizeof(rel), dir, "topology/core_id") ||
	    kept_init(&t->core, NULL, rel, KEPT_SINGLE) < 0) {
		kept_fini(&t->pkg);
		return NULL;
	}
	strcpy(t->dir, dir);
	return t;
}

/* updateThermalThrottle: the first CPU (in name order) that has a counter
 * for a package, or for a package's core, provides it. Every path is
 * opened relative to the devices/system/cpu directory. */
int cpu_throttles_read(struct cpu_throttles *th)
{
	char rel[CPU_NAME_LEN + 64];
	th->npkgs = th->ncores = 0;
	/* path_join's verdict on <sysfs>/devices/system/cpu */
	if (th->sysdir.err)
		return th->sysdir.err;
	int dfd = -1, rc = cpu_list_dirs(th);
	if (rc < 0 || th->ndirs == 0 || (dfd = keptdir_open(&th->sysdir)) < 0)
		goto out;
	for (size_t i = 0; i < th->ndirs; i++) {
		const char *dir = th->dirs[i];
		char pkg[CPU_NUM_LEN], core[CPU_NUM_LEN];
		uint64_t v;
		struct cpu_topo_files *t = cpu_topo_slot(th, i, dir);
		if (cpu_read_uint(t ? &t->pkg : NULL, dfd,
				  path_cat(rel, sizeof(rel), dir,
					  "topology/physical_package_id"),
				  pkg, &v) < 0 ||
		    cpu_read_uint(t ? &t->core : NULL, dfd,
				  path_cat(rel, sizeof(rel), dir,
					  "topology/core_id"),
				  core, &v) < 0)
			continue;

		struct cpu_core *c = NULL;
		for (size_t k = 0; k < th->ncores && !c; k++)
			if (!strcmp(th->cores[k].pkg, pkg) &&
			    !strcmp(th->cores[k].core, core))
				c = &th->cores[k];
		if (!c) {
			rc = cpu_reserve(&th->cores, &th->cores_cap,
					 th->ncores + 1, sizeof(*th->cores));
			if (rc < 0)
				goto out;
			c = &th->cores[th->ncores++];
			memset(c, 0, sizeof(*c));
			strcpy(c->pkg, pkg);
			strcpy(c->core, core);
		}
		struct cpu_pkg *p = NULL;
		for (size_t k = 0; k < th->npkgs && !p; k++)
			if (!strcmp(th->pkgs[k].pkg, pkg))
				p = &th->pkgs[k];
		if (!p) {
			rc = cpu_reserve(&th->pkgs, &th->pkgs_cap,
					 th->npkgs + 1, sizeof(*th->pkgs));
			if (rc < 0)
				goto out;
			p = &th->pkgs[th->npkgs++];
			memset(p, 0, sizeof(*p));
			strcpy(p->pkg, pkg);
		}
		if (c->present && p->present)
			continue;
		/* Both counters wanted: one lookup of the directory says
		 * whether either can be there (VMs and AMD CPUs have none),
		 * instead of two failing lookups of the files. A file can
		 * only be opened through a directory that can be. */
		char crel[CPU_NAME_LEN + 64], prel[CPU_NAME_LEN + 64];
		const char *cf = "core_throttle_count";
		const char *pf = "package_throttle_count";
		int tfd = dfd;
		if (!c->present && !p->present) {
			tfd = openat(dfd,
				     path_cat(rel, sizeof(rel), dir,
					     "thermal_throttle"),
				     O_PATH | O_DIRECTORY | O_CLOEXEC);
			if (tfd < 0)
				continue;
		} else {
			cf = path_cat(crel, sizeof(crel), dir,
				     "thermal_throttle/core_throttle_count");
			pf = path_cat(prel, sizeof(prel), dir,
				     "thermal_throttle/package_throttle_count");
		}
		if (!c->present && cpu_read_uint(NULL, tfd, cf, NULL, &v) == 0) {
			c->count = v;
			c->present = true;
		}
		if (!p->present && cpu_read_uint(NULL, tfd, pf, NULL, &v) == 0) {
			p->count = v;
			p->present = true;
		}
		if (tfd != dfd)
			close(tfd);
	}
	if (th->ncores > 1)
		qsort(th->cores, th->ncores, sizeof(*th->cores), cpu_cmp_core);
	if (th->npkgs > 1)
		qsort(th->pkgs, th->npkgs, sizeof(*th->pkgs), cpu_cmp_pkg);
out:
	keptdir_release(&th->sysdir);
	return rc;
}

void cpu_throttles_emit(const struct cpu_throttles *th, struct sink *sink,
			bool packages)
{
	bool begun = false;
	size_t n = packages ? th->npkgs : th->ncores;
	for (size_t i = 0; i < n; i++) {
		bool present = packages ? th->pkgs[i].present
					: th->cores[i].present;
		if (!present)
			continue;
		if (!begun) {
			if (packages)
				sink_family(sink,
					    "node_cpu_package_throttles_total",
					    "Number of times this CPU package has been throttled.",
					    HW_COUNTER);
			else
				sink_family(sink,
					    "node_cpu_core_throttles_total",
					    "Number of times this CPU core has been throttled.",
					    HW_COUNTER);
			begun = true;
		}
		if (packages) {
			struct hw_label l[] = {{"package", th->pkgs[i].pkg}};
			sink_sample(sink, l, 1, (double)th->pkgs[i].count);
		} else {
			struct hw_label l[] = {{"core", th->cores[i].core},
					       {"package", th->cores[i].pkg}};
			sink_sample(sink, l, 2, (double)th->cores[i].count);
		}
	}
}

