/* Private to dispatch.c and dispatch_state.c. */
#ifndef HOSTWATCH_NOTIFY_DISPATCH_INTERNAL_H
#define HOSTWATCH_NOTIFY_DISPATCH_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dispatch.h"

/* Alertmanager's nflog retention (--data.retention, 120h). */
#define DISPATCH_LOG_RETENTION_MS (120LL * 3600 * 1000)

/* A set of fingerprints, sorted. */
struct fpset {
	uint64_t *fp;
	size_t n;
};

/* What was last notified for a group (nflogpb.Entry). */
struct nflog {
	char *key; /* the group key */
	struct fpset firing, resolved;
	int64_t ts;
};

/* An aggregation group. */
struct agroup {
	char *key;
	struct hw_labels *labels;
	struct notify_alert *alerts; /* one per fingerprint, the latest */
	size_t n, cap;
	int64_t next_flush;
	bool flushed;
};

struct dchannel {
	const struct hw_channel *ch;
	struct agroup *groups;
	size_t ngroups;
	struct nflog *log;
	size_t nlog;
};

/* The journal's record of one alert. */
struct jrec {
	uint64_t fp;
	int64_t starts_at;
	int64_t last;	    /* last entry written */
	int64_t seen;	    /* last batch that had it */
};

struct dispatch {
	const struct hw_config *cfg;
	struct dispatch_out out;
	struct dchannel *ch;
	size_t nch;
	struct jrec *j;
	size_t nj;
	bool dirty;
};

void fpset_free(struct fpset *s);
int fpset_add(struct fpset *s, uint64_t fp);
bool fpset_has(const struct fpset *s, uint64_t fp);

struct nflog *dispatch_log_find(struct dchannel *c, const char *key);
/* A new (empty) entry for key; NULL on ENOMEM. */
struct nflog *dispatch_log_add(struct dchannel *c, const char *key);
struct jrec *dispatch_jrec_find(struct dispatch *d, uint64_t fp);
struct jrec *dispatch_jrec_add(struct dispatch *d, uint64_t fp);

#endif
