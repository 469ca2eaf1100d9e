/* Go's time.Time JSON form: see include/hostwatch/gotime.h. */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "hostwatch/gotime.h"

void gotime_format(int64_t ms, char *out, size_t size)
{
	/* time.Time.MarshalJSON: RFC3339Nano, "2006-01-02T15:04:05.999999999
	 * Z07:00": the fraction loses its trailing zeros, and with them its
	 * dot. Our times are UTC milliseconds. Floor division keeps times
	 * before 1970 right. */
	int64_t sec = ms / 1000, frac = ms % 1000;
	if (frac < 0) {
		frac += 1000;
		sec--;
	}
	time_t t = (time_t)sec;
	struct tm tm;
	if (!gmtime_r(&t, &tm)) {
		snprintf(out, size, "%s", GOTIME_ZERO);
		return;
	}
	char f[8] = "";
	if (frac) {
		snprintf(f, sizeof(f), ".%03d", (int)frac);
		for (size_t n = strlen(f); f[n - 1] == '0'; n--)
			f[n - 1] = '\0';
	}
	snprintf(out, size, "%04d-%02d-%02dT%02d:%02d:%02d%sZ",
		 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
		 tm.tm_min, tm.tm_sec, f);
}
