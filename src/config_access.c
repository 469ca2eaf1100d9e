/* Configuration: [server] access control — TLS (tls_cert_file, tls_key_file,
 * tls_client_ca_file, tls_min_version, tls_client_auth), HTTP basic auth
 * (basic_auth_user) and the client networks allowed (allow).
 *
 * Names and values follow Prometheus's exporter-toolkit web configuration
 * (docs/web-configuration.md: cert_file, key_file, client_ca_file,
 * client_auth_type, min_version, basic_auth_users), so that an operator
 * moving from node_exporter's --web.config.file finds the same words.
 *
 * basic_auth_user takes one user per line, "NAME HASH" or htpasswd's
 * "NAME:HASH", and is repeated for more users. One line per user keeps
 * within inih's line length (a bcrypt hash is 60 characters, Debian's inih
 * cuts lines at 200) and needs no quoting: the hash has neither blanks nor
 * commas, and inih hands every repeated key to us. */
#include "config.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hostwatch/config.h"
#include "hostwatch/http_auth.h"
#include "hostwatch/http_tls.h"
#include "hostwatch/netacl.h"

#include "config_internal.h"

#define OFF(field) offsetof(struct hw_config, field)

static const struct {
	const char *name;
	enum hw_client_auth value;
} client_auths[] = {
	{"NoClientCert", HW_CLIENT_NONE},
	{"RequestClientCert", HW_CLIENT_REQUEST},
	{"RequireAnyClientCert", HW_CLIENT_REQUIRE_ANY},
	{"VerifyClientCertIfGiven", HW_CLIENT_VERIFY_IF_GIVEN},
	{"RequireAndVerifyClientCert", HW_CLIENT_REQUIRE_VERIFY},
};
#define N_CLIENT_AUTHS (sizeof(client_auths) / sizeof(client_auths[0]))

/* At most this many users: each is compared on every request. */
#define MAX_USERS 64

static void users_free(struct hw_config *cfg)
{
	for (size_t i = 0; i < cfg->n_basic_auth_users; i++) {
		free(cfg->basic_auth_users[i].name);
		free(cfg->basic_auth_users[i].hash);
	}
	free(cfg->basic_auth_users);
	cfg->basic_auth_users = NULL;
	cfg->n_basic_auth_users = 0;
}

static int add_user(struct load *ld, bool from_flag, const char *v, char *why,
		    size_t whysize)
{
	struct hw_config *cfg = ld->cfg;
	const char *p = v + strspn(v, " \t");
	size_t nl = strcspn(p, " \t:");
	if (nl == 0)
		return WHY("expected \"NAME HASH\" (or htpasswd's NAME:HASH)");
	const char *h = p + nl;
	if (*h == ':')
		h++;
	else
		h += strspn(h, " \t");
	size_t hl = strcspn(h, " \t");
	if (hl == 0)
		return WHY("user \"%.*s\": no bcrypt hash after the name",
			   (int)nl, p);
	if (h[hl + strspn(h + hl, " \t")])
		return WHY("user \"%.*s\": text after the hash", (int)nl, p);
	if (nl > 128)
		return WHY("a user name longer than 128 bytes");
	for (size_t i = 0; i < nl; i++)
		if ((unsigned char)p[i] < 0x21 || p[i] == 0x7f)
			return WHY("user \"%.*s\": control characters are not "
				   "allowed in a name",
				   (int)nl, p);
	char hash[128];
	if (hl >= sizeof(hash))
		return WHY("user \"%.*s\": not a bcrypt hash (too long)",
			   (int)nl, p);
	memcpy(hash, h, hl);
	hash[hl] = '\0';
	char hwhy[200];
	if (http_auth_check_hash(hash, hwhy, sizeof(hwhy)) < 0)
		return WHY("user \"%.*s\": %s", (int)nl, p, hwhy);

	if (from_flag && !ld->users_from_flags) {
		users_free(cfg);
		ld->users_from_flags = true;
	}
	for (size_t i = 0; i < cfg->n_basic_auth_users; i++)
		if (strlen(cfg->basic_auth_users[i].name) == nl &&
		    memcmp(cfg->basic_auth_users[i].name, p, nl) == 0)
			return WHY("user \"%.*s\" is given twice", (int)nl, p);
	if (cfg->n_basic_auth_users >= MAX_USERS)
		return WHY("more than %d users", MAX_USERS);
	struct hw_basic_user *grown =
		realloc(cfg->basic_auth_users,
			(cfg->n_basic_auth_users + 1) * sizeof(*grown));
	if (!grown)
		return -ENOMEM;
	cfg->basic_auth_users = grown;
	struct hw_basic_user *u = &grown[cfg->n_basic_auth_users];
	u->name = strndup(p, nl);
	u->hash = strdup(hash);
	if (!u->name || !u->hash) {
		free(u->name);
		free(u->hash);
		return -ENOMEM;
	}
	cfg->n_basic_auth_users++;
	if (!from_flag)
		cfg->secrets_in_file = true;
	return 0;
}

int config_access_apply(struct load *ld, const struct opt *o, bool from_flag,
			const char *v, char *why, size_t whysize)
{
	struct hw_config *cfg = ld->cfg;
	int rc;
	if (o->off == OFF(tls_min_version)) {
		if (strcmp(v, "TLS12") == 0)
			cfg->tls_min_version = HW_TLS12;
		else if (strcmp(v, "TLS13") == 0)
			cfg->tls_min_version = HW_TLS13;
		else if (strcmp(v, "TLS10") == 0 || strcmp(v, "TLS11") == 0)
			return WHY("\"%s\": TLS 1.0 and 1.1 are not offered "
				   "(deprecated by RFC 8996); use TLS12 or "
				   "TLS13",
				   v);
		else
			return WHY("\"%s\" is not a TLS version (TLS12, TLS13)",
				   v);
		return 0;
	}
	if (o->off == OFF(tls_client_auth)) {
		for (size_t i = 0; i < N_CLIENT_AUTHS; i++)
			if (strcmp(v, client_auths[i].name) == 0) {
				cfg->tls_client_auth = client_auths[i].value;
				return 0;
			}
		return WHY("\"%s\" is not a client auth type (NoClientCert, "
			   "RequestClientCert, RequireAnyClientCert, "
			   "VerifyClientCertIfGiven, "
			   "RequireAndVerifyClientCert)",
			   v);
	}
	if (o->off == OFF(basic_auth_users)) {
		rc = add_user(ld, from_flag, v, why, whysize);
		return rc == -ENOMEM ? WHY("out of memory") : rc;
	}
	/* allow */
	if (from_flag && !ld->allow_from_flags) {
		free(cfg->allow);
		cfg->allow = NULL;
		cfg->n_allow = 0;
		ld->allow_from_flags = true;
	}
	rc = netacl_parse_list(v, &cfg->allow, &cfg->n_allow, why, whysize);
	return rc == -ENOMEM ? WHY("out of memory") : rc;
}

static const struct opt *opt_at(size_t off)
{
	for (size_t i = 0; i < CONFIG_N_OPTS; i++)
		if (config_opts[i].off == off &&
		    strcmp(config_opts[i].section, "server") == 0)
			return &config_opts[i];
	return NULL;
}

/* Report `why` where setting `off` was given: FILE:LINE or the flag. */
static int fail_at(struct load *ld, size_t off, const char *why)
{
	const struct opt *o = opt_at(off);
	const struct origin *w = o ? &ld->origin[OPT_IDX(o)] : NULL;
	if (w && w->set && w->line)
		config_load_fail(ld, "%s:%u: [server] %s: %s", ld->path,
				 w->line, o->key, why);
	else if (w && w->set)
		config_load_fail(ld, "flag --%.*s: %s", w->flaglen, w->flag,
				 why);
	else
		config_load_fail(ld, "[server] %s", why);
	return -EINVAL;
}

int config_access_finish(struct load *ld)
{
	const struct hw_config *cfg = ld->cfg;
	char why[600];
	bool tls = cfg->tls_cert_file || cfg->tls_key_file;
	if (cfg->tls_cert_file && !cfg->tls_key_file)
		return fail_at(ld, OFF(tls_cert_file),
			       "needs tls_key_file (--web.tls-key-file) too");
	if (cfg->tls_key_file && !cfg->tls_cert_file)
		return fail_at(ld, OFF(tls_key_file),
			       "needs tls_cert_file (--web.tls-cert-file) too");
	if (!tls && cfg->tls_client_ca_file)
		return fail_at(ld, OFF(tls_client_ca_file),
			       "client certificates need TLS: set "
			       "tls_cert_file and tls_key_file");
	if (!tls && cfg->tls_client_auth != HW_CLIENT_NONE)
		return fail_at(ld, OFF(tls_client_auth),
			       "client certificates need TLS: set "
			       "tls_cert_file and tls_key_file");
	/* exporter-toolkit (web/tls_config.go) refuses both combinations */
	if (cfg->tls_client_ca_file && cfg->tls_client_auth == HW_CLIENT_NONE)
		return fail_at(ld, OFF(tls_client_ca_file),
			       "client CAs are configured without a client "
			       "auth policy: set tls_client_auth (e.g. "
			       "RequireAndVerifyClientCert)");
	if (!cfg->tls_client_ca_file &&
	    (cfg->tls_client_auth == HW_CLIENT_VERIFY_IF_GIVEN ||
	     cfg->tls_client_auth == HW_CLIENT_REQUIRE_VERIFY))
		return fail_at(ld, OFF(tls_client_auth),
			       "verifying client certificates needs "
			       "tls_client_ca_file");
	if (!tls)
		return 0;
	if (http_tls_check_files(cfg, why, sizeof(why)) < 0) {
		/* reported at the key whose file is wrong, which the message
		 * starts with: not twice */
		static const struct {
			const char *key;
			size_t off;
		} keys[] = {{"tls_key_file ", OFF(tls_key_file)},
			    {"tls_client_ca_file ", OFF(tls_client_ca_file)},
			    {"tls_cert_file ", OFF(tls_cert_file)}};
		for (size_t i = 0; i < 3; i++) {
			size_t kl = strlen(keys[i].key);
			if (strncmp(why, keys[i].key, kl) == 0)
				return fail_at(ld, keys[i].off, why + kl);
		}
		return fail_at(ld, OFF(tls_cert_file), why);
	}
	return 0;
}

void config_access_show(const struct opt *o, const struct hw_config *d,
			char *v, size_t room)
{
	if (o->off == OFF(tls_min_version))
		snprintf(v, room, "%s",
			 d->tls_min_version == HW_TLS13 ? "TLS13" : "TLS12");
	else if (o->off == OFF(tls_client_auth))
		snprintf(v, room, "%s", client_auths[d->tls_client_auth].name);
	else if (o->off == OFF(basic_auth_users))
		snprintf(v, room, "\"NAME BCRYPT-HASH\" ...");
	else
		snprintf(v, room, "CIDR ...");
}

void config_access_free(struct hw_config *cfg)
{
	free(cfg->tls_cert_file);
	free(cfg->tls_key_file);
	free(cfg->tls_client_ca_file);
	users_free(cfg);
	free(cfg->allow);
	cfg->tls_cert_file = cfg->tls_key_file = cfg->tls_client_ca_file = NULL;
	cfg->allow = NULL;
	cfg->n_allow = 0;
}
