/* The dispatcher's state file, STATE_DIR/notify.json: the notification log
 * of every channel and the journal's record of firing alerts, so that a
 * restart (or a reload, which starts a new notifier) sends nothing twice.
 *
 *   {"version": 1,
 *    "journal": [{"fingerprint": "hex", "startsAt": ms, "last": ms,
 *                 "seen": ms}],
 *    "channels": {"NAME": [{"groupKey": "...", "firing": ["hex"],
 *                           "resolved": ["hex"], "ts": ms}]}}
 * Times are wall times, read by the next process (clock.h).
 *
 * Written as alerts.json is (jsonfile_save). */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "hostwatch/clock.h"
#include "hostwatch/jsonfile.h"
#include "hostwatch/log.h"

#include "dispatch_internal.h"

static json_t *fp_json(uint64_t fp)
{
	char s[17];
	snprintf(s, sizeof(s), "%016" PRIx64, fp);
	return json_string(s);
}

static int fp_parse(json_t *v, uint64_t *fp)
{
	const char *s = json_string_value(v);
	char *end;
	if (!s || strlen(s) != 16)
		return -EINVAL;
	errno = 0;
	*fp = strtoull(s, &end, 16);
	return *end || errno ? -EINVAL : 0;
}

static json_t *fpset_json(const struct fpset *s)
{
	json_t *a = json_array();
	for (size_t i = 0; a && i < s->n; i++)
		json_array_append_new(a, fp_json(s->fp[i]));
	return a;
}

static json_t *state_json(const struct dispatch *d)
{
	json_t *root = json_object(), *j = json_array(), *chs = json_object();
	if (!root || !j || !chs)
		goto fail;
	json_object_set_new(root, "version", json_integer(1));
	for (size_t i = 0; i < d->nj; i++)
		json_array_append_new(
			j, json_pack("{s:o,s:I,s:I,s:I}", "fingerprint",
				     fp_json(d->j[i].fp), "startsAt",
				     (json_int_t)clock_to_wall(d->j[i].starts_at),
				     "last", (json_int_t)clock_to_wall(d->j[i].last),
				     "seen", (json_int_t)clock_to_wall(d->j[i].seen)));
	json_object_set_new(root, "journal", j);
	j = NULL;
	for (size_t c = 0; c < d->nch; c++) {
		const struct dchannel *dc = &d->ch[c];
		json_t *a = json_array();
		for (size_t i = 0; a && i < dc->nlog; i++)
			json_array_append_new(
				a, json_pack("{s:s,s:o,s:o,s:I}", "groupKey",
					     dc->log[i].key, "firing",
					     fpset_json(&dc->log[i].firing),
					     "resolved",
					     fpset_json(&dc->log[i].resolved),
					     "ts", (json_int_t)clock_to_wall(dc->log[i].ts)));
		json_object_set_new(chs, dc->ch->name, a);
	}
	json_object_set_new(root, "channels", chs);
	return root;
fail:
	json_decref(root);
	json_decref(j);
	json_decref(chs);
	return NULL;
}

int dispatch_save(struct dispatch *d, const char *path)
{
	if (!d->dirty)
		return 0;
	json_t *root = state_json(d);
	int rc = root ? jsonfile_save(root, path, JSON_COMPACT) : -ENOMEM;
	json_decref(root);
	if (rc < 0) {
		log_warn("notify: cannot save %s: %s", path, strerror(-rc));
		return rc;
	}
	d->dirty = false;
	return 0;
}

static int fpset_load(json_t *a, struct fpset *s)
{
	size_t i;
	json_t *v;
	if (!json_is_array(a))
		return -EINVAL;
	json_array_foreach(a, i, v)
	{
		uint64_t fp;
		if (fp_parse(v, &fp) < 0)
			return -EINVAL;
		if (fpset_add(s, fp) < 0)
			return -ENOMEM;
	}
	return 0;
}

static int load_channel(struct dchannel *dc, json_t *a, int64_t now)
{
	size_t i;
	json_t *v;
	if (!json_is_array(a))
		return -EINVAL;
	json_array_foreach(a, i, v)
	{
		json_t *key = json_object_get(v, "groupKey");
		json_t *ts = json_object_get(v, "ts");
		if (!json_is_string(key) || !json_is_integer(ts))
			return -EINVAL;
		int64_t t = clock_from_wall(json_integer_value(ts));
		if (t < now - DISPATCH_LOG_RETENTION_MS ||
		    dispatch_log_find(dc, json_string_value(key)))
			continue;
		struct nflog *e = dispatch_log_add(dc, json_string_value(key));
		if (!e)
			return -ENOMEM;
		e->ts = t;
		int rc = fpset_load(json_object_get(v, "firing"), &e->firing);
		if (rc == 0)
			rc = fpset_load(json_object_get(v, "resolved"),
					&e->resolved);
		if (rc < 0)
			return rc;
	}
	return 0;
}

static int load_journal(struct dispatch *d, json_t *a)
{
	size_t i;
	json_t *v;
	if (!a)
		return 0;
	if (!json_is_array(a))
		return -EINVAL;
	json_array_foreach(a, i, v)
	{
		uint64_t fp;
		json_int_t starts, last, seen;
		if (fp_parse(json_object_get(v, "fingerprint"), &fp) < 0 ||
		    json_unpack(v, "{s:I,s:I,s:I}", "startsAt", &starts, "last",
				&last, "seen", &seen) < 0)
			return -EINVAL;
		if (dispatch_jrec_find(d, fp))
			continue;
		struct jrec *r = dispatch_jrec_add(d, fp);
		if (!r)
			return -ENOMEM;
		r->starts_at = clock_from_wall(starts);
		r->last = clock_from_wall(last);
		r->seen = clock_from_wall(seen);
	}
	return 0;
}

int dispatch_load(struct dispatch *d, const char *path, int64_t now)
{
	json_error_t jerr;
	json_t *root = json_load_file(path, 0, &jerr);
	if (!root) {
		if (access(path, F_OK) < 0 && errno == ENOENT)
			return -ENOENT;
		log_warn("notify: %s:%d: %s: starting without the notification "
			 "log",
			 path, jerr.line, jerr.text);
		return -EINVAL;
	}
	int rc = load_journal(d, json_object_get(root, "journal"));
	json_t *chs = json_object_get(root, "channels");
	for (size_t c = 0; rc == 0 && c < d->nch && json_is_object(chs); c++) {
		json_t *a = json_object_get(chs, d->ch[c].ch->name);
		if (a)
			rc = load_channel(&d->ch[c], a, now);
	}
	json_decref(root);
	if (rc == -EINVAL)
		log_warn("notify: %s: malformed entries: starting without the "
			 "notification log",
			 path);
	return rc;
}
