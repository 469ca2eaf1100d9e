/* Prometheus rule files (YAML), through rulefile_load as the daemon loads
 * --rules.files: libyaml's document, the groups/rules structure, durations,
 * and each rule's expression and templates (ruledef_check_at); then the
 * whole set is freed.
 *
 * Seeds: tests/rules/ and etc/ (the .yml files), tests/fixtures/rules/. */
#include "config.h"

#include "hostwatch/ruledef.h"

#include "fuzz_util.h"

FZ_QUIET_INITIALIZE

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char path[1024], err[1024];
	fz_write("rules.yml", data, size);
	struct rule_set_def set = {NULL, 0};
	rulefile_load(fz_path(path, sizeof(path), "rules.yml"), &set, err,
		      sizeof(err));
	rule_set_def_free(&set);
	return 0;
}
