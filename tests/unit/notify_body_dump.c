/* notify_body_dump FORMAT GROUP.json: print the body hostwatch makes for
 * a group described in JSON, for tests that compare it with what real
 * programs (Alertmanager) make. FORMAT is a webhook format name
 * (alertmanager, alertmanager-api, slack, discord, ntfy, json) or email.
 * GROUP.json:
 *   {"receiver": "...", "groupKey": "...", "groupLabels": {...},
 *    "externalURL": "...", "now": MS, "truncated": N,
 *    "from": "...", "to": ["..."], "id": "...",         (email)
 *    "alerts": [{"labels": {...}, "annotations": {...}, "startsAt": MS,
 *                "endsAt": MS, "resolved": BOOL, "value": NUM,
 *                "expr": "...", "generatorURL": "..."}]}
 * Headers (ntfy) are printed first, one a line, then an empty line. */
#include "config.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hostwatch/notify_body.h"

static struct hw_labels *labels_from(json_t *obj)
{
	size_t n = json_object_size(obj), i = 0;
	struct hw_label *p = calloc(n + 1, sizeof(*p));
	const char *k;
	json_t *v;
	if (!p)
		return NULL;
	json_object_foreach(obj, k, v)
	{
		p[i].name = k;
		p[i++].value = json_string_value(v);
	}
	struct hw_labels *ls = labels_new(p, n);
	free(p);
	return ls;
}

static int cmp_kv(const void *a, const void *b)
{
	return strcmp(((const struct rule_kv *)a)->key,
		      ((const struct rule_kv *)b)->key);
}

static const char *str(json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

static const struct {
	const char *name;
	enum hw_webhook_format f;
} formats[] = {
	{"alertmanager", HW_FORMAT_ALERTMANAGER},
	{"alertmanager-api", HW_FORMAT_ALERTMANAGER_API},
	{"slack", HW_FORMAT_SLACK},
	{"discord", HW_FORMAT_DISCORD},
	{"ntfy", HW_FORMAT_NTFY},
	{"json", HW_FORMAT_JSON},
};

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: %s FORMAT GROUP.json\n", argv[0]);
		return 2;
	}
	json_error_t err;
	json_t *root = json_load_file(argv[2], 0, &err);
	if (!root) {
		fprintf(stderr, "%s:%d: %s\n", argv[2], err.line, err.text);
		return 2;
	}
	json_t *ja = json_object_get(root, "alerts");
	size_t n = json_array_size(ja);
	struct notify_alert *alerts = calloc(n + 1, sizeof(*alerts));
	const struct notify_alert **ptrs = calloc(n + 1, sizeof(*ptrs));
	int rc = 1;
	if (!alerts || !ptrs)
		goto out;
	bool firing = false;
	for (size_t i = 0; i < n; i++) {
		json_t *o = json_array_get(ja, i), *an = json_object_get(o, "annotations");
		struct notify_alert *a = &alerts[i];
		a->labels = labels_from(json_object_get(o, "labels"));
		a->nannotations = json_object_size(an);
		a->annotations = calloc(a->nannotations + 1, sizeof(*a->annotations));
		const char *k;
		json_t *v;
		size_t j = 0;
		json_object_foreach(an, k, v)
		{
			a->annotations[j].key = strdup(k);
			a->annotations[j++].value = strdup(json_string_value(v));
		}
		qsort(a->annotations, a->nannotations, sizeof(*a->annotations),
		      cmp_kv);
		a->starts_at = json_integer_value(json_object_get(o, "startsAt"));
		a->ends_at = json_integer_value(json_object_get(o, "endsAt"));
		a->resolved = json_is_true(json_object_get(o, "resolved"));
		a->value = json_number_value(json_object_get(o, "value"));
		if (str(o, "expr"))
			a->expr = strdup(str(o, "expr"));
		if (str(o, "generatorURL"))
			a->generator_url = strdup(str(o, "generatorURL"));
		a->fingerprint = notify_fingerprint(a->labels);
		firing |= !a->resolved;
		ptrs[i] = a;
	}
	struct notify_group g = {
		.receiver = str(root, "receiver"),
		.group_key = str(root, "groupKey"),
		.group_labels = labels_from(json_object_get(root, "groupLabels")),
		.alerts = ptrs,
		.nalerts = n,
		.truncated = (size_t)json_integer_value(json_object_get(root, "truncated")),
		.firing = firing,
		.external_url = str(root, "externalURL"),
		.now = json_integer_value(json_object_get(root, "now")),
	};
	if (!strcmp(argv[1], "email")) {
		json_t *jt = json_object_get(root, "to");
		char *to[16];
		struct hw_channel ch = {.from = (char *)str(root, "from"),
					.to = to};
		for (size_t i = 0; i < json_array_size(jt) && i < 16; i++)
			to[ch.nto++] = (char *)json_string_value(json_array_get(jt, i));
		struct hw_buf b = HW_BUF_INIT;
		if (notify_email_build(&ch, &g, str(root, "id"), &b) == 0) {
			fwrite(b.data, 1, b.len, stdout);
			rc = 0;
		}
		buf_free(&b);
	} else {
		for (size_t i = 0; i < sizeof(formats) / sizeof(formats[0]); i++) {
			if (strcmp(argv[1], formats[i].name))
				continue;
			struct notify_body body;
			if (notify_body_build(formats[i].f, &g, &body) < 0)
				break;
			const char *h = body.headers.data;
			for (size_t k = 0; k < body.nheaders; k++, h += strlen(h) + 1)
				printf("%s\n", h);
			if (body.nheaders)
				printf("\n");
			fwrite(body.body.data, 1, body.body.len, stdout);
			notify_body_free(&body);
			rc = 0;
		}
	}
	if (rc)
		fprintf(stderr, "cannot make a %s body\n", argv[1]);
	labels_unref(g.group_labels);
out:
	for (size_t i = 0; alerts && i < n; i++)
		notify_alert_free(&alerts[i]);
	free(alerts);
	free(ptrs);
	json_decref(root);
	return rc;
}
