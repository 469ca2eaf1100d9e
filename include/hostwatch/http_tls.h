/* TLS for the HTTP listeners: libmicrohttpd's GnuTLS, fed through its
 * certificate callback (MHD_OPTION_HTTPS_CERT_CALLBACK) rather than fixed
 * key and certificate options, so that a SIGHUP can put a renewed
 * certificate in place without restarting the listeners.
 *
 * The certificate, key and client CAs live in a reference-counted set:
 * each connection holds the set that was current when it was accepted (its
 * handshake uses it), a reload makes a new set current, and the old one is
 * freed when its last connection closes. Client certificates are checked by
 * hostwatch during the handshake (gnutls_session_set_verify_function) against
 * the set's own trust list, so a bad one fails the handshake as Go's
 * crypto/tls does for exporter-toolkit's client_auth_type. */
#ifndef HOSTWATCH_HTTP_TLS_H
#define HOSTWATCH_HTTP_TLS_H

#include <stddef.h>
#include <stdint.h>

#include <gnutls/abstract.h>
#include <gnutls/gnutls.h>
#include <microhttpd.h>

#include "hostwatch/config.h"

struct http_tls;

/* Whether cfg asks for TLS (a certificate and a key). */
static inline bool http_tls_wanted(const struct hw_config *cfg)
{
	return cfg->tls_cert_file && cfg->tls_key_file;
}

/* Read and check cfg's certificate, key (they must match) and client CAs,
 * and free them again: config_load's check, so that a bad file stops the
 * start (exit 2) or a reload (the old configuration stays). 0, or -EINVAL
 * with `why` naming the file. */
int http_tls_check_files(const struct hw_config *cfg, char *why,
			 size_t whysize);

/* Load cfg's files into a new TLS state. 0; -EINVAL with `why`; -ENOMEM. */
int http_tls_new(struct http_tls **out, const struct hw_config *cfg,
		 char *why, size_t whysize);

/* Read cfg's files again and make them current for new connections; on
 * failure the current ones stay. 0 or -EINVAL/-ENOMEM with `why`. */
int http_tls_reload(struct http_tls *t, const struct hw_config *cfg,
		    char *why, size_t whysize);

/* Once every listener has stopped. */
void http_tls_free(struct http_tls *t);

/* MHD_OPTION_HTTPS_PRIORITIES for a minimum version. */
const char *http_tls_priorities(enum hw_tls_version v);

/* For MHD_OPTION_HTTPS_CERT_CALLBACK. */
int http_tls_cert_callback(gnutls_session_t session,
			   const gnutls_datum_t *req_ca_dn, int nreqs,
			   const gnutls_pk_algorithm_t *pk_algos,
			   int pk_algos_length, gnutls_pcert_st **pcert,
			   unsigned int *pcert_length,
			   gnutls_privkey_t *privkey);

/* From the MHD_OPTION_NOTIFY_CONNECTION callback: a connection accepted
 * (take the current set, ask for a client certificate as configured) and
 * closed (let it go). */
void http_tls_connection_started(struct http_tls *t, struct MHD_Connection *c,
				 void **socket_context);
void http_tls_connection_closed(void **socket_context);

/* Handshakes refused because the client certificate did not verify. */
uint64_t http_tls_client_cert_failures(const struct http_tls *t);

#endif
