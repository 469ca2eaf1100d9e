#include "config.h"

#include <check.h>
#include <limits.h>
#include <stdio.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

static struct capture_sink *as_capture(struct sink *s)
{
	return (struct capture_sink *)s;
}

static void cap_family(struct sink *s, const char *name, const char *help,
		       enum hw_type type)
{
	struct capture_sink *cs = as_capture(s);
	if (capture_family(cs, name))
		cs->violations++;
	cs->families = realloc(cs->families,
			       (cs->nfamilies + 1) * sizeof(*cs->families));
	struct capture_family *f = &cs->families[cs->nfamilies++];
	f->name = strdup(name);
	f->help = strdup(help ? help : "");
	f->type = type;
	f->nsamples = 0;
}

static void cap_sample(struct sink *s, const struct hw_label *labels,
		       size_t nlabels, double value)
{
	struct capture_sink *cs = as_capture(s);
	if (cs->nfamilies == 0) {
		cs->violations++;
		return;
	}
	struct capture_family *f = &cs->families[cs->nfamilies - 1];
	size_t len = strlen(f->name) + 3;
	for (size_t i = 0; i < nlabels; i++)
		len += strlen(labels[i].name) + strlen(labels[i].value) + 4;
	char *key = malloc(len);
	char *p = key;
	p += sprintf(p, "%s", f->name);
	if (nlabels) {
		*p++ = '{';
		for (size_t i = 0; i < nlabels; i++)
			p += sprintf(p, "%s%s=\"%s\"", i ? "," : "",
				     labels[i].name, labels[i].value);
		*p++ = '}';
		*p = '\0';
	}
	if (capture_find(cs, key))
		cs->violations++; /* the same series twice */
	cs->samples = realloc(cs->samples,
			      (cs->nsamples + 1) * sizeof(*cs->samples));
	cs->samples[cs->nsamples].key = key;
	cs->samples[cs->nsamples].value = value;
	cs->nsamples++;
	f->nsamples++;
}

void capture_init(struct capture_sink *cs)
{
	memset(cs, 0, sizeof(*cs));
	cs->sink.family = cap_family;
	cs->sink.sample = cap_sample;
}

void capture_free(struct capture_sink *cs)
{
	for (size_t i = 0; i < cs->nfamilies; i++) {
		free(cs->families[i].name);
		free(cs->families[i].help);
	}
	for (size_t i = 0; i < cs->nsamples; i++)
		free(cs->samples[i].key);
	free(cs->families);
	free(cs->samples);
	memset(cs, 0, sizeof(*cs));
}

const struct capture_sample *capture_find(const struct capture_sink *cs,
					  const char *key)
{
	for (size_t i = 0; i < cs->nsamples; i++)
		if (strcmp(cs->samples[i].key, key) == 0)
			return &cs->samples[i];
	return NULL;
}

const struct capture_family *capture_family(const struct capture_sink *cs,
					    const char *name)
{
	for (size_t i = 0; i < cs->nfamilies; i++)
		if (strcmp(cs->families[i].name, name) == 0)
			return &cs->families[i];
	return NULL;
}

size_t capture_count(const struct capture_sink *cs, const char *prefix)
{
	size_t n = 0, pl = strlen(prefix);
	for (size_t i = 0; i < cs->nsamples; i++)
		if (strncmp(cs->samples[i].key, prefix, pl) == 0)
			n++;
	return n;
}

void capture_dump(const struct capture_sink *cs)
{
	for (size_t i = 0; i < cs->nsamples; i++)
		fprintf(stderr, "%s %.17g\n", cs->samples[i].key,
			cs->samples[i].value);
}

double capture_value(const struct capture_sink *cs, const char *key)
{
	const struct capture_sample *s = capture_find(cs, key);
	if (!s) {
		capture_dump(cs);
		ck_abort_msg("missing sample %s", key);
	}
	return s->value;
}

void capture_assert_family(const struct capture_sink *cs, const char *name,
			   const char *help, enum hw_type type)
{
	const struct capture_family *f = capture_family(cs, name);
	ck_assert_msg(f != NULL, "missing family %s", name);
	ck_assert_str_eq(f->help, help);
	ck_assert_int_eq(f->type, type);
}

void capture_assert_same(const struct capture_sink *a,
			 const struct capture_sink *b)
{
	ck_assert_uint_eq(a->nfamilies, b->nfamilies);
	for (size_t i = 0; i < a->nfamilies; i++) {
		ck_assert_str_eq(a->families[i].name, b->families[i].name);
		ck_assert_str_eq(a->families[i].help, b->families[i].help);
		ck_assert_int_eq(a->families[i].type, b->families[i].type);
		ck_assert_uint_eq(a->families[i].nsamples,
				  b->families[i].nsamples);
	}
	ck_assert_uint_eq(a->nsamples, b->nsamples);
	for (size_t i = 0; i < a->nsamples; i++) {
		ck_assert_str_eq(a->samples[i].key, b->samples[i].key);
		ck_assert_msg(memcmp(&a->samples[i].value, &b->samples[i].value,
				     sizeof(double)) == 0,
			      "%s: %.17g vs %.17g", a->samples[i].key,
			      a->samples[i].value, b->samples[i].value);
	}
}

int run_collector(const struct collector *c, struct hw_config *cfg,
		  const char *root, struct capture_sink *cs)
{
	char proc[PATH_MAX], sys[PATH_MAX], rootfs[PATH_MAX];
	char *saved[3] = {cfg->procfs, cfg->sysfs, cfg->rootfs};
	if (root) {
		snprintf(proc, sizeof(proc), "%s/proc", root);
		snprintf(sys, sizeof(sys), "%s/sys", root);
		snprintf(rootfs, sizeof(rootfs), "%s/root", root);
		cfg->procfs = proc;
		cfg->sysfs = sys;
		cfg->rootfs = rootfs;
	}
	struct hw_ctx ctx = {.cfg = cfg};
	int rc = c->init ? c->init(&ctx) : 0;
	if (rc == 0)
		rc = c->collect(&ctx, &cs->sink);
	if (c->fini)
		c->fini(&ctx);
	buf_free(&ctx.buf);
	cfg->procfs = saved[0];
	cfg->sysfs = saved[1];
	cfg->rootfs = saved[2];
	return rc;
}

int capture_run(struct capture_sink *cs, const struct collector *c,
		struct hw_config *cfg, const char *root)
{
	capture_free(cs);
	capture_init(cs);
	int rc = run_collector(c, cfg, root, cs);
	ck_assert_int_eq(cs->violations, 0);
	return rc;
}

struct hw_labels *test_labels(const char *first, ...)
{
	struct hw_label p[32];
	size_t n = 0;
	va_list ap;
	va_start(ap, first);
	for (const char *name = first; name && n < 32;
	     name = va_arg(ap, const char *)) {
		p[n].name = name;
		p[n++].value = va_arg(ap, const char *);
	}
	va_end(ap);
	struct hw_labels *ls = labels_new(p, n);
	ck_assert_ptr_nonnull(ls);
	return ls;
}

int test_config_load(struct hw_config *cfg, struct hw_cli *cli,
		     const char *const *args, char **errtext)
{
	char *argv[64] = {"hostwatch"};
	int argc = 1;
	for (; args && args[argc - 1] && argc < 63; argc++)
		argv[argc] = (char *)args[argc - 1];
	size_t len;
	free(*errtext);
	*errtext = NULL;
	FILE *err = open_memstream(errtext, &len);
	ck_assert_ptr_nonnull(err);
	int rc = config_load(cfg, cli, argc, argv, err);
	fclose(err);
	return rc;
}
