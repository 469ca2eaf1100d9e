/* TLS for the HTTP listeners: see include/hostwatch/http_tls.h. */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <gnutls/abstract.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

#include "hostwatch/http_tls.h"
#include "hostwatch/log.h"

#define WHY(...) (snprintf(why, whysize, __VA_ARGS__), -EINVAL)

/* A server chain longer than this is a mistake (Let's Encrypt sends 2). */
#define MAX_CHAIN 16

/* One set of credentials: what a handshake needs. */
struct creds {
	unsigned refs; /* under owner->lock */
	struct http_tls *owner;
	gnutls_pcert_st chain[MAX_CHAIN];
	unsigned nchain;
	gnutls_privkey_t key;
	gnutls_x509_trust_list_t trust; /* NULL: no client CAs */
	enum hw_client_auth client_auth;
};

struct http_tls {
	pthread_mutex_t lock;
	struct creds *current;
	uint64_t client_cert_failures; /* __atomic */
};

const char *http_tls_priorities(enum hw_tls_version v)
{
	/* GnuTLS's NORMAL set, the protocol versions limited as
	 * exporter-toolkit's min_version (Go offers up to TLS 1.3). */
	return v == HW_TLS13 ? "NORMAL:-VERS-ALL:+VERS-TLS1.3"
			     : "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2";
}

static int load(const char *path, const char *what, gnutls_datum_t *d,
		char *why, size_t whysize)
{
	int rc = gnutls_load_file(path, d);
	if (rc < 0) {
		FILE *f = fopen(path, "r");
		int e = f ? 0 : errno;
		if (f)
			fclose(f);
		return WHY("%s %s: cannot read: %s", what, path,
			   e ? strerror(e) : gnutls_strerror(rc));
	}
	return 0;
}

static void creds_free(struct creds *c)
{
	if (!c)
		return;
	for (unsigned i = 0; i < c->nchain; i++)
		gnutls_pcert_deinit(&c->chain[i]);
	if (c->key)
		gnutls_privkey_deinit(c->key);
	if (c->trust)
		gnutls_x509_trust_list_deinit(c->trust, 1);
	free(c);
}

/* Others reading the key is worth a warning, not a refusal: the operator
 * may have reasons, and a monitoring daemon that does not start is worse. */
static void warn_mode(const char *path)
{
	struct stat st;
	if (stat(path, &st) == 0 && (st.st_mode & S_IROTH))
		log_warn("tls_key_file %s is readable by every user: run "
			 "chmod 640 %s (owner root, group hostwatch)",
			 path, path);
}

static int creds_load(struct creds **out, const struct hw_config *cfg,
		      char *why, size_t whysize)
{
	gnutls_datum_t cert = {NULL, 0}, key = {NULL, 0}, ca = {NULL, 0};
	gnutls_certificate_credentials_t check = NULL;
	struct creds *c = calloc(1, sizeof(*c));
	int rc;
	if (!c)
		return -ENOMEM;
	c->refs = 1;
	c->client_auth = cfg->tls_client_auth;
	if ((rc = load(cfg->tls_cert_file, "tls_cert_file", &cert, why,
		       whysize)) < 0 ||
	    (rc = load(cfg->tls_key_file, "tls_key_file", &key, why,
		       whysize)) < 0)
		goto out;
	c->nchain = MAX_CHAIN;
	rc = gnutls_pcert_list_import_x509_raw(c->chain, &c->nchain, &cert,
					       GNUTLS_X509_FMT_PEM, 0);
	if (rc < 0) {
		c->nchain = 0;
		rc = WHY("tls_cert_file %s: %s", cfg->tls_cert_file,
			 rc == GNUTLS_E_SHORT_MEMORY_BUFFER
				 ? "more than 16 certificates"
				 : gnutls_strerror(rc));
		goto out;
	}
	if (c->nchain == 0) {
		rc = WHY("tls_cert_file %s: no PEM certificate in it",
			 cfg->tls_cert_file);
		goto out;
	}
	if ((rc = gnutls_privkey_init(&c->key)) < 0) {
		rc = -ENOMEM;
		goto out;
	}
	rc = gnutls_privkey_import_x509_raw(c->key, &key, GNUTLS_X509_FMT_PEM,
					    NULL, 0);
	if (rc < 0) {
		rc = WHY("tls_key_file %s: %s (an unencrypted PEM key is "
			 "needed)",
			 cfg->tls_key_file, gnutls_strerror(rc));
		goto out;
	}
	/* GnuTLS checks that the key belongs to the first certificate when
	 * credentials take them; a throwaway set does that check for us. */
	if (gnutls_certificate_allocate_credentials(&check) < 0) {
		rc = -ENOMEM;
		goto out;
	}
	rc = gnutls_certificate_set_x509_key_mem2(check, &cert, &key,
						  GNUTLS_X509_FMT_PEM, NULL, 0);
	if (rc < 0) {
		rc = WHY("tls_key_file %s does not go with tls_cert_file %s: "
			 "%s",
			 cfg->tls_key_file, cfg->tls_cert_file,
			 gnutls_strerror(rc));
		goto out;
	}
	if (cfg->tls_client_ca_file) {
		if ((rc = load(cfg->tls_client_ca_file, "tls_client_ca_file",
			       &ca, why, whysize)) < 0)
			goto out;
		if (gnutls_x509_trust_list_init(&c->trust, 0) < 0) {
			rc = -ENOMEM;
			goto out;
		}
		rc = gnutls_x509_trust_list_add_trust_mem(
			c->trust, &ca, NULL, GNUTLS_X509_FMT_PEM, 0, 0);
		if (rc <= 0) {
			rc = WHY("tls_client_ca_file %s: %s",
				 cfg->tls_client_ca_file,
				 rc < 0 ? gnutls_strerror(rc)
					: "no PEM certificate in it");
			goto out;
		}
	}
	rc = 0;
out:
	if (check)
		gnutls_certificate_free_credentials(check);
	gnutls_free(cert.data);
	if (key.data) {
		gnutls_memset(key.data, 0, key.size);
		gnutls_free(key.data);
	}
	gnutls_free(ca.data);
	if (rc < 0) {
		creds_free(c);
		return rc;
	}
	*out = c;
	return 0;
}

int http_tls_check_files(const struct hw_config *cfg, char *why,
			 size_t whysize)
{
	struct creds *c;
	int rc = creds_load(&c, cfg, why, whysize);
	if (rc == -ENOMEM)
		return WHY("out of memory");
	if (rc == 0)
		creds_free(c);
	return rc;
}

int http_tls_new(struct http_tls **out, const struct hw_config *cfg,
		 char *why, size_t whysize)
{
	struct http_tls *t = calloc(1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	int rc = creds_load(&t->current, cfg, why, whysize);
	if (rc < 0) {
		free(t);
		return rc;
	}
	t->current->owner = t;
	pthread_mutex_init(&t->lock, NULL);
	warn_mode(cfg->tls_key_file);
	*out = t;
	return 0;
}

static void creds_unref(struct creds *c)
{
	struct http_tls *t = c->owner;
	pthread_mutex_lock(&t->lock);
	bool last = --c->refs == 0;
	pthread_mutex_unlock(&t->lock);
	if (last)
		creds_free(c);
}

int http_tls_reload(struct http_tls *t, const struct hw_config *cfg,
		    char *why, size_t whysize)
{
	struct creds *c;
	int rc = creds_load(&c, cfg, why, whysize);
	if (rc < 0)
		return rc;
	c->owner = t;
	pthread_mutex_lock(&t->lock);
	struct creds *old = t->current;
	t->current = c;
	pthread_mutex_unlock(&t->lock);
	creds_unref(old);
	warn_mode(cfg->tls_key_file);
	return 0;
}

void http_tls_free(struct http_tls *t)
{
	if (!t)
		return;
	creds_unref(t->current);
	pthread_mutex_destroy(&t->lock);
	free(t);
}

uint64_t http_tls_client_cert_failures(const struct http_tls *t)
{
	return t ? __atomic_load_n(&t->client_cert_failures, __ATOMIC_RELAXED)
		 : 0;
}

/* The session's pointer: set by http_tls_connection_started. libmicrohttpd
 * stores its connection there too, but reads it back only for PSK
 * credentials (daemon.c, psk_gnutls_adapter), which hostwatch never uses. */
static struct creds *session_creds(gnutls_session_t session)
{
	return gnutls_session_get_ptr(session);
}

int http_tls_cert_callback(gnutls_session_t session,
			   const gnutls_datum_t *req_ca_dn, int nreqs,
			   const gnutls_pk_algorithm_t *pk_algos,
			   int pk_algos_length, gnutls_pcert_st **pcert,
			   unsigned int *pcert_length, gnutls_privkey_t *privkey)
{
	(void)req_ca_dn;
	(void)nreqs;
	(void)pk_algos;
	(void)pk_algos_length;
	struct creds *c = session_creds(session);
	if (!c)
		return -1;
	*pcert = c->chain;
	*pcert_length = c->nchain;
	*privkey = c->key;
	return 0;
}

/* Go's VerifyClientCertIfGiven / RequireAndVerifyClientCert: the chain must
 * lead to one of the client CAs, be valid now, and be meant for client
 * authentication when it says what it is meant for (x509.ExtKeyUsage
 * ClientAuth, as crypto/tls asks). */
static int verify_client(gnutls_session_t session)
{
	struct creds *c = session_creds(session);
	unsigned n = 0;
	const gnutls_datum_t *peers = gnutls_certificate_get_peers(session, &n);
	if (!c || c->client_auth == HW_CLIENT_REQUEST ||
	    c->client_auth == HW_CLIENT_REQUIRE_ANY)
		return 0;
	gnutls_x509_crt_t crts[MAX_CHAIN];
	unsigned have = 0, status = 0;
	int rc = -1;
	if (!peers || n == 0) {
		if (c->client_auth != HW_CLIENT_REQUIRE_VERIFY)
			return 0;
		goto out; /* GnuTLS refuses it first, as it requires one */
	}
	status = 1;
	if (n > MAX_CHAIN || !c->trust)
		goto out;
	for (; have < n; have++) {
		if (gnutls_x509_crt_init(&crts[have]) < 0)
			goto out;
		if (gnutls_x509_crt_import(crts[have], &peers[have],
					   GNUTLS_X509_FMT_DER) < 0) {
			have++;
			goto out;
		}
	}
	gnutls_typed_vdata_st purpose = {
		.type = GNUTLS_DT_KEY_PURPOSE_OID,
		.data = (void *)GNUTLS_KP_TLS_WWW_CLIENT,
	};
	if (gnutls_x509_trust_list_verify_crt2(c->trust, crts, n, &purpose, 1,
					       0, &status, NULL) == 0 &&
	    status == 0)
		rc = 0;
out:
	for (unsigned i = 0; i < have; i++)
		gnutls_x509_crt_deinit(crts[i]);
	if (rc < 0) {
		__atomic_add_fetch(&c->owner->client_cert_failures, 1,
				   __ATOMIC_RELAXED);
		gnutls_datum_t msg = {NULL, 0};
		if (status && gnutls_certificate_verification_status_print(
				      status, GNUTLS_CRT_X509, &msg, 0) == 0)
			log_debug("client certificate refused: %s", msg.data);
		gnutls_free(msg.data);
	}
	return rc;
}

void http_tls_connection_started(struct http_tls *t, struct MHD_Connection *conn,
				 void **socket_context)
{
	const union MHD_ConnectionInfo *info =
		MHD_get_connection_info(conn, MHD_CONNECTION_INFO_GNUTLS_SESSION);
	if (!info || !info->tls_session)
		return;
	gnutls_session_t session = info->tls_session;
	pthread_mutex_lock(&t->lock);
	struct creds *c = t->current;
	c->refs++;
	pthread_mutex_unlock(&t->lock);
	*socket_context = c;
	gnutls_session_set_ptr(session, c);
	switch (c->client_auth) {
	case HW_CLIENT_NONE:
		gnutls_certificate_server_set_request(session,
						      GNUTLS_CERT_IGNORE);
		break;
	case HW_CLIENT_REQUEST:
	case HW_CLIENT_VERIFY_IF_GIVEN:
		gnutls_certificate_server_set_request(session,
						      GNUTLS_CERT_REQUEST);
		break;
	case HW_CLIENT_REQUIRE_ANY:
	case HW_CLIENT_REQUIRE_VERIFY:
		gnutls_certificate_server_set_request(session,
						      GNUTLS_CERT_REQUIRE);
		break;
	}
	if (c->client_auth == HW_CLIENT_VERIFY_IF_GIVEN ||
	    c->client_auth == HW_CLIENT_REQUIRE_VERIFY)
		gnutls_session_set_verify_function(session, verify_client);
}

void http_tls_connection_closed(void **socket_context)
{
	struct creds *c = *socket_context;
	if (c)
		creds_unref(c);
	*socket_context = NULL;
}
