/* Alert entries in the systemd journal over its native protocol
 * (journal.h): the datagrams of systemd's sd_journal_sendv()
 * (src/libsystemd/sd-journal/journal-send.c) and
 * https://systemd.io/JOURNAL_NATIVE_PROTOCOL/, written here so that the
 * daemon does not link libsystemd. Unlike sd_journal_sendv, which blocks
 * on a full journald queue and drops entries silently when there is no
 * journald, we never block and never lose an entry without a trace: it
 * goes to stderr instead. */
#include "config.h"

#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "hostwatch/expo.h"
#include "hostwatch/journal.h"

/* journald refuses entries of more than 1024 fields
 * (ENTRY_FIELD_COUNT_MAX, journald-native.c); we stay well below. */
#define LABEL_FIELDS_MAX 256
/* Values in the stderr fallback line are cut past this. */
#define STDERR_VALUE_MAX 256

/* The socket, opened on first use and kept: the notifier thread and
 * notifier_event callers share it under the lock. Datagrams are sent
 * unconnected, addressed each time, so a restarted journald is reached
 * again without reopening. */
static pthread_mutex_t journal_lock = PTHREAD_MUTEX_INITIALIZER;
static int journal_fd = -1;
static struct sockaddr_un journal_addr = {
	.sun_family = AF_UNIX,
	.sun_path = JOURNAL_SOCKET_DEFAULT,
};

void journal_close(void)
{
	pthread_mutex_lock(&journal_lock);
	if (journal_fd >= 0)
		close(journal_fd);
	journal_fd = -1;
	pthread_mutex_unlock(&journal_lock);
}

void journal_set_socket(const char *path)
{
	if (!path)
		path = JOURNAL_SOCKET_DEFAULT;
	size_t len = strlen(path);
	pthread_mutex_lock(&journal_lock);
	if (journal_fd >= 0)
		close(journal_fd);
	journal_fd = -1;
	/* A path that does not fit is as good as a missing socket: every
	 * entry goes to stderr. */
	if (len >= sizeof(journal_addr.sun_path))
		len = 0;
	memcpy(journal_addr.sun_path, path, len);
	journal_addr.sun_path[len] = '\0';
	pthread_mutex_unlock(&journal_lock);
}

/* One field in the serialised entry: "NAME=value\n", or, when the value
 * holds a newline, "NAME\n" + the value's length as a little-endian
 * 64-bit integer + the value + "\n" (journal-send.c). */
static void entry_add(struct hw_buf *e, const char *name, const char *value,
		      size_t len)
{
	buf_puts(e, name);
	if (memchr(value, '\n', len)) {
		uint64_t le = htole64((uint64_t)len);
		buf_putc(e, '\n');
		buf_put(e, (const char *)&le, sizeof(le));
	} else {
		buf_putc(e, '=');
	}
	buf_put(e, value, len);
	buf_putc(e, '\n');
}

static void entry_adds(struct hw_buf *e, const char *name, const char *value)
{
	entry_add(e, name, value, strlen(value));
}

/* The entry as memfd contents: written whole and sealed, since journald
 * takes a memfd only when sealed against writes
 * (journald-native.c: server_process_native_file). */
static int send_memfd(int fd, const struct hw_buf *e)
{
	int rc = 0;
	int mfd = memfd_create("hostwatch-journal",
			       MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (mfd < 0)
		return -errno;
	for (size_t off = 0; off < e->len;) {
		ssize_t n = write(mfd, e->data + off, e->len - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			rc = n < 0 ? -errno : -EIO;
			goto out;
		}
		off += (size_t)n;
	}
	if (fcntl(mfd, F_ADD_SEALS, F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW |
					    F_SEAL_WRITE) < 0) {
		rc = -errno;
		goto out;
	}
	/* No payload, one descriptor: journald's server_process_datagram
	 * reads such a datagram as "the entry is in this file". */
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(sizeof(int))];
	} control;
	memset(&control, 0, sizeof(control));
	struct msghdr mh = {
		.msg_name = &journal_addr,
		.msg_namelen = sizeof(journal_addr),
		.msg_control = control.buf,
		.msg_controllen = sizeof(control.buf),
	};
	struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &mfd, sizeof(int));
	if (sendmsg(fd, &mh, MSG_DONTWAIT | MSG_NOSIGNAL) < 0)
		rc = -errno;
out:
	close(mfd);
	return rc;
}

/* Send the serialised entry: one datagram, or a memfd when it is too
 * large for one (EMSGSIZE: over the socket's send buffer; ENOBUFS). 0 or
 * -errno; -EAGAIN when journald's queue is full. */
static int journal_send(const struct hw_buf *e)
{
	int rc = 0;
	pthread_mutex_lock(&journal_lock);
	if (!journal_addr.sun_path[0]) {
		rc = -ENAMETOOLONG;
		goto out;
	}
	if (journal_fd < 0) {
		journal_fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
		if (journal_fd < 0) {
			rc = -errno;
			goto out;
		}
	}
	struct iovec iov = {.iov_base = e->data, .iov_len = e->len};
	struct msghdr mh = {
		.msg_name = &journal_addr,
		.msg_namelen = sizeof(journal_addr),
		.msg_iov = &iov,
		.msg_iovlen = 1,
	};
	if (sendmsg(journal_fd, &mh, MSG_DONTWAIT | MSG_NOSIGNAL) >= 0)
		goto out;
	rc = -errno;
	if (rc == -EMSGSIZE || rc == -ENOBUFS)
		rc = send_memfd(journal_fd, e);
out:
	pthread_mutex_unlock(&journal_lock);
	return rc;
}

static const char *priority_name(int p)
{
	static const char *const names[] = {"emerg",   "alert",  "crit",
					    "err",     "warning", "notice",
					    "info",    "debug"};
	return p >= 0 && p < 8 ? names[p] : "notice";
}

/* Text in the fallback line, kept to one line: backslash escapes for
 * control characters, and for quotes and backslashes when quoted. */
static void put_escaped(struct hw_buf *l, const char *v, size_t len,
			bool quoted)
{
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)v[i];
		if (quoted && (c == '"' || c == '\\')) {
			buf_putc(l, '\\');
			buf_putc(l, (char)c);
		} else if (c == '\n') {
			buf_puts(l, "\\n");
		} else if (c < 0x20 || c == 0x7f) {
			buf_printf(l, "\\x%02x", c);
		} else {
			buf_putc(l, (char)c);
		}
	}
}

/* A value in the fallback line, quoted logfmt-style when it must be. */
static void put_logfmt(struct hw_buf *l, const char *v, size_t len)
{
	bool quote = len == 0;
	for (size_t i = 0; i < len && !quote; i++)
		quote = v[i] == ' ' || v[i] == '"' || v[i] == '=' ||
			v[i] == '\\' || (unsigned char)v[i] < 0x20;
	if (len > STDERR_VALUE_MAX)
		len = STDERR_VALUE_MAX;
	if (quote)
		buf_putc(l, '"');
	put_escaped(l, v, len, quote);
	if (quote)
		buf_putc(l, '"');
}

/* journald is away: the entry as one line on stderr, "hostwatch:
 * <priority>: MESSAGE NAME=value ...", read back from the serialised
 * entry (our own format, so no checks beyond bounds). */
static int journal_fallback(const struct hw_buf *e, int priority)
{
	struct hw_buf l = HW_BUF_INIT;
	buf_printf(&l, "hostwatch: %s: ", priority_name(priority));
	const char *p = e->data, *end = e->data + e->len;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *eq = memchr(p, '=', (size_t)(nl - p));
		const char *name = p, *v;
		size_t nlen, vlen;
		if (eq) {
			nlen = (size_t)(eq - p);
			v = eq + 1;
			vlen = (size_t)(nl - v);
			p = nl + 1;
		} else {
			uint64_t le;
			nlen = (size_t)(nl - p);
			memcpy(&le, nl + 1, sizeof(le));
			v = nl + 1 + sizeof(le);
			vlen = (size_t)le64toh(le);
			p = v + vlen + 1;
		}
		if (nlen == 7 && memcmp(name, "MESSAGE", 7) == 0) {
			put_escaped(&l, v, vlen < 4096 ? vlen : 4096, false);
		} else if (!(nlen == 8 && memcmp(name, "PRIORITY", 8) == 0) &&
			   !(nlen == 17 &&
			     memcmp(name, "SYSLOG_IDENTIFIER", 17) == 0)) {
			buf_putc(&l, ' ');
			buf_put(&l, name, nlen);
			buf_putc(&l, '=');
			put_logfmt(&l, v, vlen);
		}
	}
	buf_putc(&l, '\n');
	int rc = 1;
	if (l.failed) {
		rc = -ENOMEM;
	} else {
		/* one write, so that lines of two threads never interleave */
		for (size_t off = 0; off < l.len;) {
			ssize_t n = write(STDERR_FILENO, l.data + off,
					  l.len - off);
			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0)
				break;
			off += (size_t)n;
		}
	}
	buf_free(&l);
	return rc;
}

static int journal_submit(const struct hw_buf *e, int priority)
{
	if (e->failed)
		return -ENOMEM;
	if (journal_send(e) == 0)
		return 0;
	return journal_fallback(e, priority);
}

/* RFC 3339, UTC, milliseconds: Alertmanager's startsAt. */
static void format_time(int64_t ms, char *out, size_t size)
{
	int64_t s = ms / 1000 - (ms % 1000 < 0);
	time_t t = (time_t)s;
	struct tm tm;
	gmtime_r(&t, &tm);
	size_t n = strftime(out, size, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(out + n, size - n, ".%03dZ", (int)(ms - s * 1000));
}

int journal_alert(const struct notify_alert *a, enum journal_kind kind)
{
	static const char *const ids[] = {
		[JOURNAL_FIRING] = JOURNAL_MSGID_FIRING,
		[JOURNAL_RESOLVED] = JOURNAL_MSGID_RESOLVED,
		[JOURNAL_REPEAT] = JOURNAL_MSGID_REPEAT,
	};
	struct hw_buf e = HW_BUF_INIT, msg = HW_BUF_INIT;
	char num[64], sevbuf[64];
	int priority = journal_priority(a, kind);

	journal_format_message(a, kind, &msg);
	if (msg.failed)
		e.failed = true;
	else
		entry_add(&e, "MESSAGE", msg.data, msg.len);
	entry_adds(&e, "MESSAGE_ID", ids[kind]);
	snprintf(num, sizeof(num), "%d", priority);
	entry_adds(&e, "PRIORITY", num);
	entry_adds(&e, "SYSLOG_IDENTIFIER", "hostwatch");

	const char *name = a->labels ? labels_get(a->labels, "alertname") : NULL;
	if (name)
		entry_adds(&e, "ALERT_NAME", name);
	entry_adds(&e, "ALERT_STATE",
		   kind == JOURNAL_RESOLVED ? "resolved" : "firing");
	const char *sev = notify_severity(a, sevbuf, sizeof(sevbuf));
	if (*sev)
		entry_adds(&e, "ALERT_SEVERITY", sev);
	expo_format_double(num, a->value, EXPO_TEXT);
	entry_adds(&e, "ALERT_VALUE", num);
	snprintf(num, sizeof(num), "%016" PRIx64, a->fingerprint);
	entry_adds(&e, "ALERT_FINGERPRINT", num);
	format_time(a->starts_at, num, sizeof(num));
	entry_adds(&e, "ALERT_STARTS_AT", num);
	if (a->expr)
		entry_adds(&e, "ALERT_EXPR", a->expr);
	const char *summary = notify_annotation(a, "summary");
	if (!summary || !*summary)
		summary = notify_annotation(a, "description");
	if (summary && *summary)
		entry_adds(&e, "ALERT_SUMMARY", summary);

	for (size_t i = 0; a->labels && i < a->labels->n && i < LABEL_FIELDS_MAX;
	     i++) {
		char field[80];
		if (journal_field_name(a->labels->l[i].name, field,
				       sizeof(field)))
			entry_adds(&e, field, a->labels->l[i].value);
	}

	int rc = journal_submit(&e, priority);
	buf_free(&msg);
	buf_free(&e);
	return rc;
}

int journal_event(int priority, const char *message)
{
	struct hw_buf e = HW_BUF_INIT;
	char num[16];
	if (priority < 0 || priority > 7)
		priority = 5;
	entry_adds(&e, "MESSAGE", message ? message : "");
	entry_adds(&e, "MESSAGE_ID", JOURNAL_MSGID_EVENT);
	snprintf(num, sizeof(num), "%d", priority);
	entry_adds(&e, "PRIORITY", num);
	entry_adds(&e, "SYSLOG_IDENTIFIER", "hostwatch");
	int rc = journal_submit(&e, priority);
	buf_free(&e);
	return rc;
}
