/* The daemon's two clocks.
 *
 * Engine time (clock_engine_ms) is CLOCK_MONOTONIC, shifted so that it read
 * the wall clock when the process first asked: every interval the daemon
 * measures runs on it (rule windows, sample timestamps, `for`,
 * keep_firing_for, resend and group intervals), so a step of the wall
 * clock (NTP at boot, an operator's `date -s`) moves none of them. Until
 * the wall clock steps, the two read the same.
 *
 * Wall time is what leaves the process: the API's activeAt, PromQL's
 * time(), startsAt/endsAt in notifications, the state files read by the
 * next process. clock_to_wall maps an engine time to the wall clock of now
 * (engine time + the steps the wall clock took since start), so that an
 * alert active for ten minutes says activeAt = wall now - 10 min whatever
 * the steps, and Alertmanager's endsAt follows the clock it compares with. */
#ifndef HOSTWATCH_CLOCK_H
#define HOSTWATCH_CLOCK_H

#include <stdint.h>

/* Milliseconds of engine time; never goes back. */
int64_t clock_engine_ms(void);
/* Milliseconds since the epoch, CLOCK_REALTIME. */
int64_t clock_wall_ms(void);
/* How far the wall clock has stepped from engine time since start, in ms
 * (0 until it steps; slewing moves both clocks alike). */
int64_t clock_wall_offset_ms(void);
/* An engine time as wall time now, and back. INT64_MIN (unset) and
 * INT64_MAX (never) pass unchanged. */
int64_t clock_to_wall(int64_t engine_ms);
int64_t clock_from_wall(int64_t wall_ms);

#endif
