/* Unit-test helpers shared by every test program.
 *
 * The capture sink records what a collector emits so a test can ask for one
 * sample by its canonical form: name{label="value",...} with labels in the
 * order the collector passed them. It also checks the sink contract: a family
 * begun twice, or a sample before any family, is recorded as a violation. */
#ifndef HOSTWATCH_TESTUTIL_H
#define HOSTWATCH_TESTUTIL_H

#include <stdbool.h>
#include <stddef.h>

#include "hostwatch/collector.h"
#include "hostwatch/config.h"
#include "hostwatch/labels.h"
#include "hostwatch/sink.h"

struct capture_sample {
	char *key; /* name{a="b"} */
	double value;
};

struct capture_family {
	char *name;
	char *help;
	enum hw_type type;
	size_t nsamples;
};

struct capture_sink {
	struct sink sink;
	struct capture_family *families;
	size_t nfamilies;
	struct capture_sample *samples;
	size_t nsamples;
	int violations; /* contract breaches: repeated family, orphan sample */
};

void capture_init(struct capture_sink *cs);
void capture_free(struct capture_sink *cs);
/* The sample with this canonical key, or NULL. */
const struct capture_sample *capture_find(const struct capture_sink *cs,
					  const char *key);
/* The family called name, or NULL. */
const struct capture_family *capture_family(const struct capture_sink *cs,
					    const char *name);
/* Number of samples whose key starts with prefix. */
size_t capture_count(const struct capture_sink *cs, const char *prefix);
/* Print everything (for debugging a failing test). */
void capture_dump(const struct capture_sink *cs);

/* The value of the sample with this canonical key; when there is none, the
 * running Check test fails (after capture_dump, to show what was there). */
double capture_value(const struct capture_sink *cs, const char *key);
/* Fail the running Check test unless a family called name was begun, with
 * exactly this help text and type. */
void capture_assert_family(const struct capture_sink *cs, const char *name,
			   const char *help, enum hw_type type);

/* Fail the running Check test unless a and b hold the same families (name,
 * help, type, in order) and the same samples (key, value bit for bit, in
 * order). */
void capture_assert_same(const struct capture_sink *a,
			 const struct capture_sink *b);

/* Run one collector against a fixture tree: procfs=<root>/proc,
 * sysfs=<root>/sys, rootfs=<root>/root (or the paths given in cfg when root is
 * NULL). Returns what collect() returned; init/fini are called around it. */
int run_collector(const struct collector *c, struct hw_config *cfg,
		  const char *root, struct capture_sink *cs);
/* run_collector into a freshly emptied cs, failing the running Check test if
 * the collector broke the sink contract (cs->violations); returns what
 * run_collector returned, for the test to check. */
int capture_run(struct capture_sink *cs, const struct collector *c,
		struct hw_config *cfg, const char *root);

/* A label set from "name", "value", ... pairs ending with NULL; the test
 * fails when it cannot be made. */
struct hw_labels *test_labels(const char *first, ...);

/* config_load with argv = {"hostwatch", args..., NULL} (args
 * NULL-terminated); what it wrote to its error stream replaces *errtext
 * (free()d by the caller at the end). */
int test_config_load(struct hw_config *cfg, struct hw_cli *cli,
		     const char *const *args, char **errtext);

#endif
