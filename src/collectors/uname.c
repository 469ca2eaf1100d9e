/* uname: node_uname_info from uname(2), as node_exporter 1.5's
 * collector/uname_linux.go (each field up to its first NUL). */
#include "config.h"

#include <errno.h>
#include <string.h>
#include <sys/utsname.h>

#include "hostwatch/collector.h"

#include "goparse.h"

static int uname_collect(struct hw_ctx *ctx, struct sink *sink)
{
	(void)ctx;
	struct utsname u;
	int rc = 0;
	if (uname(&u) < 0) {
		rc = -errno;
		goto out;
	}
	struct hw_label l[] = {
		{"domainname", u.domainname}, {"machine", u.machine},
		{"nodename", u.nodename},     {"release", u.release},
		{"sysname", u.sysname},       {"version", u.version},
	};
	/* client_golang refuses non-UTF-8 label values (node_exporter
	 * panics); fail the collector instead. */
	for (size_t i = 0; i < sizeof(l) / sizeof(l[0]); i++) {
		if (!go_valid_utf8(l[i].value, strlen(l[i].value))) {
			rc = -EILSEQ;
			goto out;
		}
	}
	sink_family(sink, "node_uname_info",
		    "Labeled system information as provided by the uname system call.",
		    HW_GAUGE);
	sink_sample(sink, l, sizeof(l) / sizeof(l[0]), 1.0);
out:
	return rc;
}

const struct collector collector_uname = {
	.name = "uname",
	.enabled_by_default = true,
	.collect = uname_collect,
};
