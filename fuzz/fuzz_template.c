/* Alert templates (labels and annotations): template_check_named as the
 * rule loaders call it, then, for what passes, template_expand_named as an
 * alert's evaluation calls it, for a fixed alert with a few labels and
 * awkward values ($value NaN, infinities, tiny and huge numbers).
 *
 * Seeds: the annotations and labels of the .yml files of tests/rules/ and etc/. */
#include "config.h"

#include <math.h>

#include "hostwatch/labels.h"
#include "hostwatch/template.h"

#include "fuzz_util.h"

static struct hw_labels *labels;

static void fini(void)
{
	labels_unref(labels);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fz_quiet();
	static const struct hw_label l[] = {
		{"__name__", "node_load1"},
		{"alertname", "HostHighLoad"},
		{"instance", "host:9100"},
		{"job", "node"},
		{"severity", "warning"},
		{"device", "sda\"\\\n{{ $value }}"},
		{"utf8", "\xc3\xa9t\xc3\xa9"},
	};
	labels = labels_new(l, sizeof(l) / sizeof(l[0]));
	if (!labels)
		abort();
	atexit(fini);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const double values[] = {
		1234.5678, 0, -0.0, NAN, INFINITY, -INFINITY, 5e-324,
		1.7976931348623157e308, 0.999999, 86400 * 365.25 * 1000,
	};
	char *tmpl = fz_cstr(data, size);
	char err[512];
	if (template_check_named(tmpl, "__alert_Fuzz", err, sizeof(err)) ==
	    0) {
		double v = values[size % (sizeof(values) / sizeof(values[0]))];
		struct hw_buf out = HW_BUF_INIT;
		template_expand_named(tmpl, "__alert_Fuzz", labels, v, &out,
				      err, sizeof(err));
		buf_free(&out);
		/* and the plain name, as hostwatch.conf's [alert] uses */
		out = (struct hw_buf)HW_BUF_INIT;
		template_expand(tmpl, labels, -v, &out, err, sizeof(err));
		buf_free(&out);
	}
	free(tmpl);
	return 0;
}
