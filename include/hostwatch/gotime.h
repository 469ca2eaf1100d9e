/* Go's time.Time in JSON (MarshalJSON: RFC 3339 with up to nine fractional
 * digits, trailing zeros trimmed, "Z" for UTC), which Prometheus's HTTP API
 * and Alertmanager's bodies print: one formatter for both. */
#ifndef HOSTWATCH_GOTIME_H
#define HOSTWATCH_GOTIME_H

#include <stddef.h>
#include <stdint.h>

#define GOTIME_LEN 32			  /* room for any output */
#define GOTIME_ZERO "0001-01-01T00:00:00Z" /* Go's time.Time{} */

/* `ms` since the epoch (negative too) into out (>= GOTIME_LEN bytes). */
void gotime_format(int64_t ms, char *out, size_t size);

#endif
