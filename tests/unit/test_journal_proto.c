/* Unit tests for how journal entries travel (journal.c): the datagrams,
 * received on a socket the test binds and parsed as journald's
 * server_process_native_message() (src/journal/journald-native.c) parses
 * them, with the binary length form for a multi-line value and a sealed
 * memfd passed with SCM_RIGHTS for an entry too large for one datagram;
 * and the stderr fallback when journald is away (no socket, a socket
 * nobody listens on) or its queue is full. */
#include "config.h"

#include <check.h>
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "hostwatch/journal.h"
#include "journal_test.h"
#include "testutil.h"

/* ---- a journald of our own ----------------------------------------------- */

struct field {
	char *name;
	char *value;
	size_t len;
	bool binary; /* sent in the length-prefixed form */
};

struct entry {
	struct field f[64];
	size_t n;
	int invalid; /* fields journald would drop or reject */
};

static void entry_free(struct entry *e)
{
	for (size_t i = 0; i < e->n; i++) {
		free(e->f[i].name);
		free(e->f[i].value);
	}
	e->n = 0;
}

/* systemd's journal_field_valid(p, l, false). */
static bool field_valid(const char *p, size_t l)
{
	if (l == 0 || l > 64 || p[0] == '_' || (p[0] >= '0' && p[0] <= '9'))
		return false;
	for (size_t i = 0; i < l; i++)
		if (!((p[i] >= 'A' && p[i] <= 'Z') ||
		      (p[i] >= '0' && p[i] <= '9') || p[i] == '_'))
			return false;
	return true;
}

static void entry_add(struct entry *e, const char *name, size_t nlen,
		      const char *v, size_t vlen, bool binary)
{
	if (!field_valid(name, nlen)) {
		e->invalid++;
		return;
	}
	ck_assert_uint_lt(e->n, 64);
	struct field *f = &e->f[e->n++];
	f->name = strndup(name, nlen);
	f->value = malloc(vlen + 1);
	ck_assert_ptr_nonnull(f->value);
	memcpy(f->value, v, vlen);
	f->value[vlen] = '\0';
	f->len = vlen;
	f->binary = binary;
}

/* server_process_native_message(): "NAME=value\n" lines, or "NAME\n",
 * a little-endian 64-bit length, the value and "\n". Anything that does
 * not parse counts as invalid (journald would drop the rest). */
static void parse_native(const char *p, size_t remaining, struct entry *e)
{
	while (remaining > 0) {
		const char *nl = memchr(p, '\n', remaining);
		if (!nl) {
			e->invalid++;
			return;
		}
		if (nl == p) { /* entry separator: we send one entry */
			e->invalid++;
			p++;
			remaining--;
			continue;
		}
		const char *eq = memchr(p, '=', (size_t)(nl - p));
		if (eq) {
			entry_add(e, p, (size_t)(eq - p), eq + 1,
				  (size_t)(nl - eq - 1), false);
			remaining -= (size_t)(nl - p) + 1;
			p = nl + 1;
			continue;
		}
		size_t head = (size_t)(nl - p) + 1;
		uint64_t le;
		if (remaining < head + sizeof(le) + 1) {
			e->invalid++;
			return;
		}
		memcpy(&le, nl + 1, sizeof(le));
		uint64_t l = le64toh(le);
		if (l > remaining - head - sizeof(le) - 1 ||
		    nl[1 + sizeof(le) + l] != '\n') {
			e->invalid++;
			return;
		}
		entry_add(e, p, (size_t)(nl - p), nl + 1 + sizeof(le), (size_t)l,
			  true);
		remaining -= head + sizeof(le) + (size_t)l + 1;
		p = nl + 1 + sizeof(le) + l + 1;
	}
}

static const struct field *get(const struct entry *e, const char *name)
{
	for (size_t i = 0; i < e->n; i++)
		if (strcmp(e->f[i].name, name) == 0)
			return &e->f[i];
	return NULL;
}

static const char *val(const struct entry *e, const char *name)
{
	const struct field *f = get(e, name);
	return f ? f->value : NULL;
}

struct receiver {
	char dir[64];
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	int fd;
};

static void receiver_open(struct receiver *r)
{
	snprintf(r->dir, sizeof(r->dir), "/tmp/hw-journal.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(r->dir));
	snprintf(r->path, sizeof(r->path), "%s/socket", r->dir);
	r->fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	ck_assert_int_ge(r->fd, 0);
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", r->path);
	ck_assert_int_eq(bind(r->fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	journal_set_socket(r->path);
}

static void receiver_close(struct receiver *r)
{
	journal_set_socket(NULL);
	journal_close();
	close(r->fd);
	unlink(r->path);
	rmdir(r->dir);
}

/* One datagram, parsed; the payload's size, or -1 when it came as a
 * memfd (then *sealed tells whether the memfd was sealed as journald
 * requires). */
static long receive(struct receiver *r, struct entry *e, bool *sealed)
{
	static char buf[1 << 18];
	union {
		struct cmsghdr h;
		char b[CMSG_SPACE(sizeof(int) * 4)];
	} control;
	struct iovec iov = {.iov_base = buf, .iov_len = sizeof(buf)};
	struct msghdr mh = {
		.msg_iov = &iov,
		.msg_iovlen = 1,
		.msg_control = control.b,
		.msg_controllen = sizeof(control.b),
	};
	ssize_t n = recvmsg(r->fd, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
	ck_assert_int_ge(n, 0);
	ck_assert(!(mh.msg_flags & (MSG_TRUNC | MSG_CTRUNC)));
	memset(e, 0, sizeof(*e));
	struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
	if (!c) {
		parse_native(buf, (size_t)n, e);
		return n;
	}
	/* journald: no payload and exactly one descriptor */
	ck_assert_int_eq(n, 0);
	ck_assert_int_eq(c->cmsg_level, SOL_SOCKET);
	ck_assert_int_eq(c->cmsg_type, SCM_RIGHTS);
	ck_assert_uint_eq(c->cmsg_len, CMSG_LEN(sizeof(int)));
	int fd;
	memcpy(&fd, CMSG_DATA(c), sizeof(fd));
	int seals = fcntl(fd, F_GET_SEALS);
	*sealed = seals >= 0 && (seals & F_SEAL_WRITE) &&
		  (seals & F_SEAL_SHRINK) && (seals & F_SEAL_GROW);
	struct stat st;
	ck_assert_int_eq(fstat(fd, &st), 0);
	char *data = malloc((size_t)st.st_size);
	ck_assert_ptr_nonnull(data);
	ck_assert_int_eq(pread(fd, data, (size_t)st.st_size, 0), st.st_size);
	/* sealed: writing must fail */
	ck_assert_int_lt(pwrite(fd, "x", 1, 0), 0);
	close(fd);
	parse_native(data, (size_t)st.st_size, e);
	free(data);
	return -1;
}

START_TEST(test_datagram)
{
	struct receiver r;
	receiver_open(&r);
	struct notify_alert a;
	make_alert(&a,
		   test_labels("alertname", "HostHighCpu", "severity",
			       "warning", "instance", "web1", "mode", "user",
			       "__x", "1", "kube-pod", "p", "\xc3\xa9", "gone",
			       "_", "gone", NULL),
		   CPU_EXPR, "CPU above 80%\nfor 5 minutes\n");
	ck_assert_int_eq(journal_alert(&a, JOURNAL_FIRING), 0);
	struct entry e;
	bool sealed;
	ck_assert_int_gt(receive(&r, &e, &sealed), 0);
	ck_assert_int_eq(e.invalid, 0);
	ck_assert_str_eq(val(&e, "MESSAGE"),
			 "HostHighCpu firing (warning): value 93.2 > threshold "
			 "80 for _=\"gone\", __x=\"1\", instance=\"web1\", "
			 "kube-pod=\"p\", mode=\"user\", \xc3\xa9=\"gone\" "
			 "\xe2\x80\x94 "
			 "CPU above 80% for 5 minutes");
	const struct field *m = get(&e, "MESSAGE");
	ck_assert_ptr_nonnull(m);
	ck_assert(!m->binary);
	ck_assert_str_eq(val(&e, "MESSAGE_ID"), JOURNAL_MSGID_FIRING);
	ck_assert_str_eq(val(&e, "PRIORITY"), "4");
	ck_assert_str_eq(val(&e, "SYSLOG_IDENTIFIER"), "hostwatch");
	ck_assert_str_eq(val(&e, "ALERT_NAME"), "HostHighCpu");
	ck_assert_str_eq(val(&e, "ALERT_STATE"), "firing");
	ck_assert_str_eq(val(&e, "ALERT_SEVERITY"), "warning");
	ck_assert_str_eq(val(&e, "ALERT_VALUE"), "93.2");
	char fp[32];
	snprintf(fp, sizeof(fp), "%016" PRIx64, a.fingerprint);
	ck_assert_str_eq(val(&e, "ALERT_FINGERPRINT"), fp);
	ck_assert_uint_eq(strlen(fp), 16);
	ck_assert_str_eq(val(&e, "ALERT_STARTS_AT"), "2024-05-01T10:02:00.123Z");
	ck_assert_str_eq(val(&e, "ALERT_EXPR"), CPU_EXPR);
	/* the multi-line value in the binary form, intact */
	const struct field *s = get(&e, "ALERT_SUMMARY");
	ck_assert_ptr_nonnull(s);
	ck_assert(s->binary);
	ck_assert_str_eq(s->value, "CPU above 80%\nfor 5 minutes\n");
	ck_assert_str_eq(val(&e, "ALERT_LABEL_ALERTNAME"), "HostHighCpu");
	ck_assert_str_eq(val(&e, "ALERT_LABEL_INSTANCE"), "web1");
	ck_assert_str_eq(val(&e, "ALERT_LABEL_MODE"), "user");
	ck_assert_str_eq(val(&e, "ALERT_LABEL_SEVERITY"), "warning");
	ck_assert_str_eq(val(&e, "ALERT_LABEL_X"), "1");
	ck_assert_str_eq(val(&e, "ALERT_LABEL_KUBE_POD"), "p");
	/* 18 fields: 12 fixed, 6 labels, the two invalid ones left out */
	ck_assert_uint_eq(e.n, 18);
	entry_free(&e);

	/* resolved: priority 5, its own id; repeat: firing's priority */
	a.resolved = true;
	ck_assert_int_eq(journal_alert(&a, JOURNAL_RESOLVED), 0);
	receive(&r, &e, &sealed);
	ck_assert_int_eq(e.invalid, 0);
	ck_assert_str_eq(val(&e, "MESSAGE_ID"), JOURNAL_MSGID_RESOLVED);
	ck_assert_str_eq(val(&e, "PRIORITY"), "5");
	ck_assert_str_eq(val(&e, "ALERT_STATE"), "resolved");
	ck_assert_ptr_nonnull(strstr(val(&e, "MESSAGE"), "resolved after 12m"));
	entry_free(&e);
	a.resolved = false;
	ck_assert_int_eq(journal_alert(&a, JOURNAL_REPEAT), 0);
	receive(&r, &e, &sealed);
	ck_assert_str_eq(val(&e, "MESSAGE_ID"), JOURNAL_MSGID_REPEAT);
	ck_assert_str_eq(val(&e, "PRIORITY"), "4");
	ck_assert_str_eq(val(&e, "ALERT_STATE"), "firing");
	entry_free(&e);
	notify_alert_free(&a);

	/* no severity, summary or expression: those fields are left out */
	make_alert(&a, test_labels("alertname", "Bare", NULL), NULL, NULL);
	ck_assert_int_eq(journal_alert(&a, JOURNAL_FIRING), 0);
	receive(&r, &e, &sealed);
	ck_assert_str_eq(val(&e, "PRIORITY"), "5");
	ck_assert_ptr_null(get(&e, "ALERT_SEVERITY"));
	ck_assert_ptr_null(get(&e, "ALERT_SUMMARY"));
	ck_assert_ptr_null(get(&e, "ALERT_EXPR"));
	ck_assert_str_eq(val(&e, "MESSAGE"), "Bare firing: value 93.2");
	entry_free(&e);
	notify_alert_free(&a);

	/* an operational event; a multi-line message */
	ck_assert_int_eq(journal_event(3, "webhook ops: HTTP 500\nretrying"), 0);
	receive(&r, &e, &sealed);
	ck_assert_int_eq(e.invalid, 0);
	ck_assert_uint_eq(e.n, 4);
	ck_assert_str_eq(val(&e, "MESSAGE"), "webhook ops: HTTP 500\nretrying");
	m = get(&e, "MESSAGE");
	ck_assert_ptr_nonnull(m);
	ck_assert(m->binary);
	ck_assert_str_eq(val(&e, "MESSAGE_ID"), JOURNAL_MSGID_EVENT);
	ck_assert_str_eq(val(&e, "PRIORITY"), "3");
	ck_assert_str_eq(val(&e, "SYSLOG_IDENTIFIER"), "hostwatch");
	entry_free(&e);

	/* the socket was opened once and is reused: nothing queued twice */
	ck_assert_int_lt(recv(r.fd, (char[1]){0}, 1, MSG_DONTWAIT), 0);
	ck_assert_int_eq(errno, EAGAIN);
	receiver_close(&r);
}
END_TEST

START_TEST(test_memfd)
{
	/* 300 KB does not fit a datagram (the send buffer, wmem_default, is
	 * 208 KB): it must arrive as a sealed memfd. */
	struct receiver r;
	receiver_open(&r);
	size_t big = 300 * 1024;
	char *summary = malloc(big + 1);
	ck_assert_ptr_nonnull(summary);
	for (size_t i = 0; i < big; i++)
		summary[i] = (i % 100 == 99) ? '\n' : (char)('a' + i % 26);
	summary[big] = '\0';
	struct notify_alert a;
	make_alert(&a, cpu_labels("critical"), CPU_EXPR, summary);
	ck_assert_int_eq(journal_alert(&a, JOURNAL_FIRING), 0);
	struct entry e;
	bool sealed = false;
	ck_assert_int_eq(receive(&r, &e, &sealed), -1);
	ck_assert(sealed);
	ck_assert_int_eq(e.invalid, 0);
	const struct field *s = get(&e, "ALERT_SUMMARY");
	ck_assert_ptr_nonnull(s);
	ck_assert(s->binary);
	ck_assert_uint_eq(s->len, big);
	ck_assert(memcmp(s->value, summary, big) == 0);
	ck_assert_str_eq(val(&e, "PRIORITY"), "2");
	ck_assert_str_eq(val(&e, "ALERT_LABEL_INSTANCE"), "web1");
	ck_assert_uint_le(strlen(val(&e, "MESSAGE")), JOURNAL_MESSAGE_MAX);
	entry_free(&e);
	notify_alert_free(&a);
	free(summary);
	receiver_close(&r);
}
END_TEST

/* ---- the stderr fallback ------------------------------------------------- */

struct capture {
	char path[64];
	int saved;
};

static void stderr_capture(struct capture *c)
{
	snprintf(c->path, sizeof(c->path), "/tmp/hw-journal-err.XXXXXX");
	int fd = mkstemp(c->path);
	ck_assert_int_ge(fd, 0);
	c->saved = dup(STDERR_FILENO);
	ck_assert_int_ge(c->saved, 0);
	ck_assert_int_eq(dup2(fd, STDERR_FILENO), STDERR_FILENO);
	close(fd);
}

/* Restore stderr; what was written, in a static buffer. */
static const char *stderr_release(struct capture *c)
{
	static char out[8192];
	dup2(c->saved, STDERR_FILENO);
	close(c->saved);
	FILE *f = fopen(c->path, "r");
	ck_assert_ptr_nonnull(f);
	size_t n = fread(out, 1, sizeof(out) - 1, f);
	out[n] = '\0';
	fclose(f);
	unlink(c->path);
	return out;
}

static size_t count_lines(const char *s)
{
	size_t n = 0;
	for (; *s; s++)
		n += *s == '\n';
	return n;
}

START_TEST(test_fallback_missing)
{
	journal_set_socket("/nonexistent/hostwatch/journal/socket");
	struct notify_alert a;
	make_alert(&a, cpu_labels("warning"), CPU_EXPR, "CPU \"high\"\nnow");
	struct capture c;
	stderr_capture(&c);
	int rc_alert = journal_alert(&a, JOURNAL_FIRING);
	int rc_event = journal_event(3, "spool full\nfor ops");
	int rc_resolved = journal_alert(&a, JOURNAL_RESOLVED);
	const char *out = stderr_release(&c);
	ck_assert_int_eq(rc_alert, 1);
	ck_assert_int_eq(rc_event, 1);
	ck_assert_int_eq(rc_resolved, 1);
	ck_assert_uint_eq(count_lines(out), 3);
	char want[1024];
	snprintf(want, sizeof(want),
		 "hostwatch: warning: HostHighCpu firing (warning): value 93.2 "
		 "> threshold 80 for instance=\"web1\", mode=\"user\" "
		 "\xe2\x80\x94 CPU \"high\" now MESSAGE_ID=%s "
		 "ALERT_NAME=HostHighCpu ALERT_STATE=firing "
		 "ALERT_SEVERITY=warning ALERT_VALUE=93.2 "
		 "ALERT_FINGERPRINT=%016" PRIx64
		 " ALERT_STARTS_AT=2024-05-01T10:02:00.123Z ALERT_EXPR=\"%s\" "
		 "ALERT_SUMMARY=\"CPU \\\"high\\\"\\nnow\" "
		 "ALERT_LABEL_ALERTNAME=HostHighCpu ALERT_LABEL_INSTANCE=web1 "
		 "ALERT_LABEL_MODE=user ALERT_LABEL_SEVERITY=warning\n",
		 JOURNAL_MSGID_FIRING, a.fingerprint,
		 "100 * (1 - avg by (instance, mode) "
		 "(rate(node_cpu_seconds_total{mode=\\\"idle\\\"}[5m]))) > 80");
	ck_assert(strncmp(out, want, strlen(want)) == 0);
	const char *l2 = out + strlen(want);
	snprintf(want, sizeof(want),
		 "hostwatch: err: spool full\\nfor ops MESSAGE_ID=%s\n",
		 JOURNAL_MSGID_EVENT);
	ck_assert(strncmp(l2, want, strlen(want)) == 0);
	static const char l3[] =
		"hostwatch: notice: HostHighCpu resolved after 12m (warning)";
	ck_assert(strncmp(l2 + strlen(want), l3, sizeof(l3) - 1) == 0);
	notify_alert_free(&a);
	journal_set_socket(NULL);
	journal_close();
}
END_TEST

START_TEST(test_fallback_full)
{
	/* Nobody reads the socket: once its queue (net.unix.max_dgram_qlen)
	 * is full, entries go to stderr at once instead of blocking. */
	struct receiver r;
	receiver_open(&r);
	struct capture c;
	stderr_capture(&c);
	int rc = 0, sent = 0;
	for (int i = 0; i < 100000 && rc == 0; i++) {
		rc = journal_event(6, "filling");
		sent += rc == 0;
	}
	const char *out = stderr_release(&c);
	ck_assert_int_eq(rc, 1);
	ck_assert_int_gt(sent, 0);
	ck_assert_str_eq(out, "hostwatch: info: filling MESSAGE_ID="
			      JOURNAL_MSGID_EVENT "\n");
	/* the queued ones are intact */
	struct entry e;
	bool sealed;
	receive(&r, &e, &sealed);
	ck_assert_str_eq(val(&e, "MESSAGE"), "filling");
	entry_free(&e);
	receiver_close(&r);
}
END_TEST

START_TEST(test_fallback_refused)
{
	/* A socket file nobody listens on (journald stopped): ECONNREFUSED,
	 * and then a new journald at the same path is reached again. */
	struct receiver r;
	receiver_open(&r);
	close(r.fd);
	struct capture c;
	stderr_capture(&c);
	int rc = journal_event(4, "nobody home");
	const char *out = stderr_release(&c);
	ck_assert_int_eq(rc, 1);
	ck_assert_str_eq(out, "hostwatch: warning: nobody home MESSAGE_ID="
			      JOURNAL_MSGID_EVENT "\n");
	unlink(r.path);
	r.fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", r.path);
	ck_assert_int_eq(bind(r.fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	ck_assert_int_eq(journal_event(4, "back"), 0);
	struct entry e;
	bool sealed;
	receive(&r, &e, &sealed);
	ck_assert_str_eq(val(&e, "MESSAGE"), "back");
	entry_free(&e);
	receiver_close(&r);
}
END_TEST

static Suite *journal_proto_suite(void)
{
	Suite *s = suite_create("journal_proto");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, test_datagram);
	tcase_add_test(tc, test_memfd);
	tcase_add_test(tc, test_fallback_missing);
	tcase_add_test(tc, test_fallback_full);
	tcase_add_test(tc, test_fallback_refused);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(journal_proto_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
