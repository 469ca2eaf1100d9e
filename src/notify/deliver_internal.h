/* Private to deliver.c (the queues and the schedule) and deliver_xfer.c
 * (one attempt of one record at one URL). */
#ifndef HOSTWATCH_NOTIFY_DELIVER_INTERNAL_H
#define HOSTWATCH_NOTIFY_DELIVER_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hostwatch/buf.h"
#include "hostwatch/config.h"
#include "hostwatch/curl_lib.h"
#include "hostwatch/spool.h"

/* How much of an answer is kept, for the log line of a rejection. */
#define DL_ANSWER_KEEP 512
/* What of it is logged (the contract's "first 200 bytes"). */
#define DL_ANSWER_LOG 200

/* What one attempt at one URL came to. */
enum dl_outcome {
	DL_SUCCESS,  /* 2xx; SMTP: the message was accepted */
	DL_RETRY,    /* timeout, connection, TLS, 5xx, 429; SMTP 4xx */
	DL_REJECTED, /* any other answer; SMTP 5xx */
};

struct dl_xfer {
	CURL *h; /* NULL when idle */
	struct curl_slist *headers, *rcpt;
	const struct spool_rec *rec; /* what is sent (the channel's head) */
	size_t upload_off;	     /* SMTP: what READFUNCTION gave so far */
	struct hw_buf answer;	     /* its first DL_ANSWER_KEEP bytes */
	struct hw_buf scratch;	     /* header lines being built */
	size_t url;		     /* index into the channel's urls */
	void *owner;		     /* deliver.c's channel */
	bool done;
	/* Filled by dl_xfer_finish: */
	enum dl_outcome outcome;
	long status;	    /* HTTP or SMTP status; 0 when none came */
	int64_t retry_after; /* seconds the receiver asked for; 0: none */
	char why[160];	     /* the failure, secret-free, for the log */
};

/* Start an attempt of r at ch's URL number url on m: a fresh easy handle
 * (nothing carried over from earlier attempts), the headers and the
 * signature of this moment (now_s: seconds since the epoch). x must stay
 * where it is until dl_xfer_release. 0 or -errno (logged by the caller). */
int dl_xfer_start(struct dl_xfer *x, CURLM *m, const struct hw_channel *ch,
		  size_t url, const struct spool_rec *r, int64_t now_s);

/* Classify a finished transfer (cc as curl_multi_info_read reported) into
 * x->outcome, status, retry_after and why. */
void dl_xfer_finish(struct dl_xfer *x, const struct hw_channel *ch,
		    CURLcode cc);

/* Take x's handle off m and free what the attempt held (the answer's
 * memory is kept for the next). */
void dl_xfer_release(struct dl_xfer *x, CURLM *m);

/* scheme://host:port of url (userinfo, path, query and fragment left
 * out, the scheme's default port added), for logs: URLs may carry tokens
 * in their path or credentials. */
void dl_url_redact(const char *url, char *out, size_t size);

#endif
