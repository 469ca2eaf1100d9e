/* State files (alerts.json, notify.json): a JSON document replaced
 * atomically and durably, so that a crash leaves the old file or the new
 * one, never a torn one. */
#ifndef HOSTWATCH_JSONFILE_H
#define HOSTWATCH_JSONFILE_H

#include <stddef.h>

#include <jansson.h>

/* Write `root` (jansson dump `flags`, and a final newline) to PATH.tmp,
 * fsync it, rename it over `path`. 0 or -errno; on failure `path` is
 * untouched and no PATH.tmp is left. */
int jsonfile_save(json_t *root, const char *path, size_t flags);

#endif
