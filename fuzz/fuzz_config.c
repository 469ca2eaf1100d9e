/* The configuration file (hostwatch.conf), through config_load as main()
 * calls it: `hostwatch --config.file=FILE`, with the fuzzer's bytes as FILE.
 * Everything config_load checks runs: the INI reader (inih), every
 * section's keys and values, listen addresses, regexes, [process],
 * [webhook]/[email] channels, [record]/[alert] rules and their expressions
 * and templates; then config_free.
 *
 * Seeds: tests/fixtures/config/ (every .conf) and etc/hostwatch.conf. */
#include "config.h"

#include "hostwatch/config.h"

#include "fuzz_util.h"

static FILE *devnull;

static void fini(void)
{
	if (devnull)
		fclose(devnull);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fz_quiet();
	devnull = fopen("/dev/null", "w");
	if (!devnull)
		abort();
	atexit(fini);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char path[1024], flag[1100];
	fz_write("hostwatch.conf", data, size);
	snprintf(flag, sizeof(flag), "--config.file=%s",
		 fz_path(path, sizeof(path), "hostwatch.conf"));
	char *argv[] = {(char *)"hostwatch", flag, NULL};
	struct hw_config cfg;
	struct hw_cli cli;
	memset(&cli, 0, sizeof(cli));
	/* it starts from config_defaults and frees all on error */
	if (config_load(&cfg, &cli, 2, argv, devnull) == 0)
		config_free(&cfg);
	return 0;
}
