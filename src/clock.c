/* The engine's clock and the wall clock (clock.h). */
#include <pthread.h>
#include <stdint.h>
#include <time.h>

#include "hostwatch/clock.h"

static int64_t anchor_ns; /* wall - monotonic, in ns, at the first call */
static pthread_once_t anchor_once = PTHREAD_ONCE_INIT;

static int64_t ns(clockid_t id)
{
	struct timespec ts;
	clock_gettime(id, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void anchor(void)
{
	anchor_ns = ns(CLOCK_REALTIME) - ns(CLOCK_MONOTONIC);
}

static int64_t floor_div(int64_t a, int64_t b)
{
	return a / b - (a % b < 0);
}

int64_t clock_engine_ms(void)
{
	pthread_once(&anchor_once, anchor);
	return floor_div(ns(CLOCK_MONOTONIC) + anchor_ns, 1000000);
}

int64_t clock_wall_ms(void)
{
	return floor_div(ns(CLOCK_REALTIME), 1000000);
}

int64_t clock_wall_offset_ms(void)
{
	pthread_once(&anchor_once, anchor);
	/* The two reads are a few hundred ns apart: rounded to the nearest
	 * ms, an unstepped clock gives exactly 0, so that mapping a time out
	 * and back in is the identity. */
	int64_t d = ns(CLOCK_REALTIME) - ns(CLOCK_MONOTONIC) - anchor_ns;
	return floor_div(d + 500000, 1000000);
}

int64_t clock_to_wall(int64_t engine_ms)
{
	if (engine_ms == INT64_MIN || engine_ms == INT64_MAX)
		return engine_ms;
	return engine_ms + clock_wall_offset_ms();
}

int64_t clock_from_wall(int64_t wall_ms)
{
	if (wall_ms == INT64_MIN || wall_ms == INT64_MAX)
		return wall_ms;
	return wall_ms - clock_wall_offset_ms();
}
