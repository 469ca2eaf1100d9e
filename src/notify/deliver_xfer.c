/* One attempt of one spooled notification at one URL: the libcurl easy
 * handle (HTTP POST with headers and signature, or SMTP with the record as
 * the message) and what its end means for the retry schedule. See
 * include/hostwatch/deliver.h for the rules and deliver.c for the queues. */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "deliver_internal.h"
#include "hostwatch/notify_body.h"

void dl_url_redact(const char *url, char *out, size_t size)
{
	static const struct {
		const char *scheme;
		const char *port;
	} defports[] = {
		{"http", "80"},	  {"https", "443"}, {"smtp", "25"},
		{"smtps", "465"},
	};
	const char *sep = strstr(url, "://");
	if (!sep || sep == url) {
		snprintf(out, size, "(invalid URL)");
		return;
	}
	size_t slen = (size_t)(sep - url);
	const char *auth = sep + 3;
	size_t alen = strcspn(auth, "/?#");
	/* userinfo ends at the authority's last '@' (RFC 3986 3.2.1) */
	for (size_t i = alen; i > 0; i--)
		if (auth[i - 1] == '@') {
			auth += i;
			alen -= i;
			break;
		}
	/* a port is present when a ':' follows the host (after an IPv6
	 * literal's ']') */
	const char *rb = memchr(auth, ']', alen);
	const char *from = rb ? rb : auth;
	bool has_port = memchr(from, ':', alen - (size_t)(from - auth)) != NULL;
	const char *port = NULL;
	for (size_t i = 0; !has_port && i < sizeof(defports) / sizeof(*defports);
	     i++)
		if (strlen(defports[i].scheme) == slen &&
		    strncasecmp(url, defports[i].scheme, slen) == 0)
			port = defports[i].port;
	snprintf(out, size, "%.*s://%.*s%s%s", (int)slen, url, (int)alen, auth,
		 port ? ":" : "", port ? port : "");
}

/* ---- the handle ----------------------------------------------------------- */

static size_t xfer_write(char *data, size_t size, size_t n, void *arg)
{
	struct dl_xfer *x = arg;
	size_t len = size * n;
	if (x->answer.len < DL_ANSWER_KEEP) {
		size_t keep = DL_ANSWER_KEEP - x->answer.len;
		buf_put(&x->answer, data, len < keep ? len : keep);
	}
	return len; /* the rest is read and dropped */
}

/* SMTP: the message, as curl asks for it (it dot-stuffs lines itself). */
static size_t xfer_read(char *dst, size_t size, size_t n, void *arg)
{
	struct dl_xfer *x = arg;
	size_t left = x->rec->body.len - x->upload_off;
	size_t len = size * n < left ? size * n : left;
	memcpy(dst, x->rec->body.data + x->upload_off, len);
	x->upload_off += len;
	return len;
}

/* Append one "Name: value" line to x->headers; false when out of memory. */
static bool xfer_header(struct dl_xfer *x, const char *line)
{
	struct curl_slist *l = curl_fn.slist_append(x->headers, line);
	if (!l)
		return false;
	x->headers = l;
	return true;
}

/* Whether the header list so far names `name` ("Content-Type"). */
static bool xfer_has_header(const struct dl_xfer *x, const char *name)
{
	size_t n = strlen(name);
	for (const struct curl_slist *l = x->headers; l; l = l->next)
		if (strncasecmp(l->data, name, n) == 0 && l->data[n] == ':')
			return true;
	return false;
}

/* The headers of an HTTP attempt: the record's (the format's
 * Content-Type and extras), the channel's, and the signature made now. */
static int xfer_http_headers(struct dl_xfer *x, const struct hw_channel *ch,
			     const struct spool_rec *r, int64_t now_s)
{
	const char *p = r->headers.data, *end = p + r->headers.len;
	while (p && p < end) {
		size_t n = strnlen(p, (size_t)(end - p));
		buf_reset(&x->scratch);
		buf_put(&x->scratch, p, n);
		if (n && !xfer_header(x, buf_cstr(&x->scratch)))
			return -ENOMEM;
		p += n + 1;
	}
	for (size_t i = 0; i < ch->nheaders; i++)
		if (!xfer_header(x, ch->headers[i]))
			return -ENOMEM;
	if (!xfer_has_header(x, "Content-Type") &&
	    !xfer_header(x, "Content-Type: application/json"))
		return -ENOMEM;
	/* curl would otherwise wait for a 100 Continue on large bodies */
	if (!xfer_header(x, "Expect:"))
		return -ENOMEM;

	if (!ch->secret || ch->signature == HW_SIGNATURE_NONE)
		return 0;
	buf_reset(&x->scratch);
	if (ch->signature == HW_SIGNATURE_STANDARD) {
		/* https://www.standardwebhooks.com/: the id is the same on
		 * every retry, the timestamp and signature are of the
		 * attempt (receivers reject stale timestamps). */
		buf_printf(&x->scratch, "webhook-id: %s", r->id);
		if (!xfer_header(x, buf_cstr(&x->scratch)))
			return -ENOMEM;
		buf_reset(&x->scratch);
		buf_printf(&x->scratch, "webhook-timestamp: %" PRId64, now_s);
		if (!xfer_header(x, buf_cstr(&x->scratch)))
			return -ENOMEM;
		buf_reset(&x->scratch);
		buf_puts(&x->scratch, "webhook-signature: ");
		sign_standard(ch->secret, ch->secret_len, r->id, now_s,
			      r->body.data, r->body.len, &x->scratch);
	} else {
		buf_puts(&x->scratch, "X-Hub-Signature-256: ");
		sign_github(ch->secret, ch->secret_len, r->body.data,
			    r->body.len, &x->scratch);
	}
	if (x->scratch.failed || !xfer_header(x, buf_cstr(&x->scratch)))
		return -ENOMEM;
	return 0;
}

/* The address of "Name <addr>" or "addr", in angle brackets, appended to
 * x->scratch: the envelope wants the bare address. */
static void xfer_envelope_addr(struct dl_xfer *x, const char *s)
{
	const char *lt = strrchr(s, '<'), *gt = lt ? strchr(lt, '>') : NULL;
	buf_reset(&x->scratch);
	if (lt && gt)
		buf_put(&x->scratch, lt, (size_t)(gt - lt) + 1);
	else
		buf_printf(&x->scratch, "<%s>", s);
}

static int xfer_smtp(struct dl_xfer *x, const struct hw_channel *ch)
{
	CURLcode cc = CURLE_OK;
	for (size_t i = 0; i < ch->nto; i++) {
		xfer_envelope_addr(x, ch->to[i]);
		if (x->scratch.failed)
			return -ENOMEM;
		struct curl_slist *l =
			curl_fn.slist_append(x->rcpt, buf_cstr(&x->scratch));
		if (!l)
			return -ENOMEM;
		x->rcpt = l;
	}
	xfer_envelope_addr(x, ch->from ? ch->from : "");
	if (x->scratch.failed)
		return -ENOMEM;
	/* curl copies string options: scratch may be reused after this */
	cc |= curl_fn.easy_setopt(x->h, CURLOPT_MAIL_FROM, buf_cstr(&x->scratch));
	cc |= curl_fn.easy_setopt(x->h, CURLOPT_MAIL_RCPT, x->rcpt);
	cc |= curl_fn.easy_setopt(x->h, CURLOPT_UPLOAD, 1L);
	cc |= curl_fn.easy_setopt(x->h, CURLOPT_READFUNCTION, xfer_read);
	cc |= curl_fn.easy_setopt(x->h, CURLOPT_READDATA, x);
	cc |= curl_fn.easy_setopt(x->h, CURLOPT_INFILESIZE_LARGE,
				  (curl_off_t)x->rec->body.len);
	long ssl = CURLUSESSL_TRY;
	switch (ch->starttls) {
	case HW_STARTTLS_OFF:
		ssl = CURLUSESSL_NONE;
		break;
	case HW_STARTTLS_TRY:
		ssl = CURLUSESSL_TRY;
		break;
	case HW_STARTTLS_REQUIRE:
		ssl = CURLUSESSL_ALL;
		break;
	case HW_STARTTLS_DEFAULT:
		/* never send a password in the clear */
		ssl = ch->username ? CURLUSESSL_ALL : CURLUSESSL_TRY;
		break;
	}
	cc |= curl_fn.easy_setopt(x->h, CURLOPT_USE_SSL, ssl);
	if (ch->username) {
		cc |= curl_fn.easy_setopt(x->h, CURLOPT_USERNAME, ch->username);
		cc |= curl_fn.easy_setopt(x->h, CURLOPT_PASSWORD,
					  ch->password ? ch->password : "");
	}
	return cc == CURLE_OK ? 0 : -EINVAL;
}

int dl_xfer_start(struct dl_xfer *x, CURLM *m, const struct hw_channel *ch,
		  size_t url, const struct spool_rec *r, int64_t now_s)
{
	int rc = -ENOMEM;
	x->rec = r;
	x->url = url;
	x->upload_off = 0;
	x->done = false;
	x->status = 0;
	x->retry_after = 0;
	x->why[0] = '\0';
	buf_reset(&x->answer);
	if (!(x->h = curl_fn.easy_init()))
		goto fail;

	CURLcode cc = CURLE_OK;
	cc |= curl_fn.easy_setopt(x->h, CURLOPT_URL, ch->urls[url]);
	/* NOSIGNAL: we run in a thread; a resolver timeout must not need
	 * SIGALRM. */
	cc |= curl_fn.easy_setopt(x->h, CURLOPT_NOSIGNAL, 1L);
	cc |= curl_fn.easy_setopt(x->h, CURLOPT_PRIVATE, x);
	cc |= curl_fn.easy_setopt(x->h, CURLOPT_TIMEOUT_MS,
				  ch->timeout > 0 ? (long)(ch->timeout * 1000)
						  : 0L);
	cc |= curl_fn.easy_setopt(x->h, CURLOPT_USERAGENT,
				  "hostwatch/" PACKAGE_VERSION);
	cc |= curl_fn.easy_setopt(x->h, CURLOPT_WRITEFUNCTION, xfer_write);
	cc |= curl_fn.easy_setopt(x->h, CURLOPT_WRITEDATA, x);
	if (ch->tls_ca_file)
		cc |= curl_fn.easy_setopt(x->h, CURLOPT_CAINFO, ch->tls_ca_file);
	if (ch->tls_cert_file)
		cc |= curl_fn.easy_setopt(x->h, CURLOPT_SSLCERT,
					  ch->tls_cert_file);
	if (ch->tls_key_file)
		cc |= curl_fn.easy_setopt(x->h, CURLOPT_SSLKEY, ch->tls_key_file);
	if (ch->tls_insecure_skip_verify) {
		cc |= curl_fn.easy_setopt(x->h, CURLOPT_SSL_VERIFYPEER, 0L);
		cc |= curl_fn.easy_setopt(x->h, CURLOPT_SSL_VERIFYHOST, 0L);
	}
	if (cc != CURLE_OK) {
		rc = -EINVAL;
		goto fail;
	}

	if (ch->type == HW_CHANNEL_EMAIL) {
		if ((rc = xfer_smtp(x, ch)) < 0)
			goto fail;
	} else {
		if ((rc = xfer_http_headers(x, ch, r, now_s)) < 0)
			goto fail;
		/* Alertmanager's notifiers do not follow redirects either:
		 * a 3xx is an answer, and a POST must not turn into a GET
		 * elsewhere. */
		cc |= curl_fn.easy_setopt(x->h, CURLOPT_FOLLOWLOCATION, 0L);
		cc |= curl_fn.easy_setopt(x->h, CURLOPT_POST, 1L);
		cc |= curl_fn.easy_setopt(x->h, CURLOPT_POSTFIELDSIZE_LARGE,
					  (curl_off_t)r->body.len);
		/* not copied: the record stays put until the attempt ends */
		cc |= curl_fn.easy_setopt(x->h, CURLOPT_POSTFIELDS,
					  r->body.len ? r->body.data : "");
		cc |= curl_fn.easy_setopt(x->h, CURLOPT_HTTPHEADER, x->headers);
		if (cc != CURLE_OK) {
			rc = -EINVAL;
			goto fail;
		}
	}
	if (curl_fn.multi_add_handle(m, x->h) != CURLM_OK) {
		rc = -EIO;
		goto fail;
	}
	return 0;
fail:
	if (x->h)
		curl_fn.easy_cleanup(x->h);
	x->h = NULL;
	curl_fn.slist_free_all(x->headers);
	curl_fn.slist_free_all(x->rcpt);
	x->headers = x->rcpt = NULL;
	return rc;
}

void dl_xfer_release(struct dl_xfer *x, CURLM *m)
{
	if (x->h) {
		curl_fn.multi_remove_handle(m, x->h);
		curl_fn.easy_cleanup(x->h);
		x->h = NULL;
	}
	curl_fn.slist_free_all(x->headers);
	curl_fn.slist_free_all(x->rcpt);
	x->headers = x->rcpt = NULL;
	x->rec = NULL;
}

/* Errors that no retry can fix: the URL or the build is wrong. */
static bool xfer_permanent(CURLcode cc)
{
	return cc == CURLE_UNSUPPORTED_PROTOCOL || cc == CURLE_URL_MALFORMAT ||
	       cc == CURLE_NOT_BUILT_IN;
}

void dl_xfer_finish(struct dl_xfer *x, const struct hw_channel *ch,
		    CURLcode cc)
{
	x->done = true;
	curl_fn.easy_getinfo(x->h, CURLINFO_RESPONSE_CODE, &x->status);
	/* curl's error text, not its error buffer: the latter may quote
	 * what the server said or the URL; the OS's errno says the rest. */
	if (cc != CURLE_OK) {
		long os = 0;
		curl_fn.easy_getinfo(x->h, CURLINFO_OS_ERRNO, &os);
		if (os)
			snprintf(x->why, sizeof(x->why), "%s (%s)",
				 curl_fn.easy_strerror(cc), strerror((int)os));
		else
			snprintf(x->why, sizeof(x->why), "%s",
				 curl_fn.easy_strerror(cc));
	}

	if (ch->type == HW_CHANNEL_EMAIL) {
		/* RFC 5321 4.2.1: 4yz is transient, 5yz permanent; anything
		 * without an answer (connection, TLS, timeout) is retried. */
		if (cc != CURLE_OK && x->status >= 400) {
			char what[sizeof(x->why)];
			snprintf(what, sizeof(what), "%s", x->why);
			snprintf(x->why, sizeof(x->why), "SMTP status %ld: %.100s",
				 x->status, what);
		}
		if (cc == CURLE_OK)
			x->outcome = DL_SUCCESS;
		else if (xfer_permanent(cc) || x->status / 100 == 5)
			x->outcome = DL_REJECTED;
		else
			x->outcome = DL_RETRY;
		return;
	}
	if (cc != CURLE_OK) {
		x->outcome = xfer_permanent(cc) ? DL_REJECTED : DL_RETRY;
		return;
	}
	if (x->status / 100 == 2) {
		x->outcome = DL_SUCCESS;
		return;
	}
	snprintf(x->why, sizeof(x->why), "HTTP status %ld", x->status);
	/* Alertmanager's notify.Retrier retries 5xx; 429 is "come back
	 * later" by definition (RFC 6585 4). Every other answer means the
	 * receiver will not take this body, now or later. */
	if (x->status / 100 == 5 || x->status == 429) {
		x->outcome = DL_RETRY;
		/* delta-seconds or an HTTP date, already made seconds by
		 * curl (RFC 9110 10.2.3); 0 when absent or past */
		curl_off_t ra = 0;
		if (curl_fn.easy_getinfo(x->h, CURLINFO_RETRY_AFTER, &ra) ==
			    CURLE_OK &&
		    ra > 0)
			x->retry_after = (int64_t)ra;
	} else {
		x->outcome = DL_REJECTED;
	}
}
