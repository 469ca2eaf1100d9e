/* /proc/stat parsed the way prometheus/procfs (stat.go, the version Debian
 * builds node_exporter 1.5 with) parses it, shared by the cpu and stat
 * collectors: both fail on exactly the inputs procfs's Stat() rejects. */
#ifndef HOSTWATCH_COLLECTORS_PROCSTAT_H
#define HOSTWATCH_COLLECTORS_PROCSTAT_H

#include <stddef.h>
#include <stdint.h>

/* Column order of a "cpuN" line, in seconds (ticks / USER_HZ). */
enum procstat_mode {
	PROCSTAT_USER,
	PROCSTAT_NICE,
	PROCSTAT_SYSTEM,
	PROCSTAT_IDLE,
	PROCSTAT_IOWAIT,
	PROCSTAT_IRQ,
	PROCSTAT_SOFTIRQ,
	PROCSTAT_STEAL,
	PROCSTAT_GUEST,
	PROCSTAT_GUEST_NICE,
	PROCSTAT_NMODES,
};

/* Largest cpu number we accept; procfs would allocate whatever a corrupt
 * line asks for. The kernel's NR_CPUS tops out at 8192. */
#define PROCSTAT_MAX_CPU 65535

struct procstat_cpu {
	double v[PROCSTAT_NMODES];
};

/* Which single-value lines a parse saw (procstat.seen). */
enum {
	PROCSTAT_SEEN_BTIME = 1 << 0,
	PROCSTAT_SEEN_CTXT = 1 << 1,
	PROCSTAT_SEEN_PROCESSES = 1 << 2,
	PROCSTAT_SEEN_RUNNING = 1 << 3,
	PROCSTAT_SEEN_BLOCKED = 1 << 4,
	PROCSTAT_SEEN_INTR = 1 << 5,
	PROCSTAT_SEEN_ALL = (1 << 6) - 1,
};

struct procstat {
	uint64_t boot_time, intr, ctxt, forks, running, blocked;
	unsigned seen; /* PROCSTAT_SEEN_* */
	/* procfs keeps per-cpu values in a slice indexed by cpu number, so a
	 * gap (cpu0, cpu2) yields a zero cpu1: ncpu is the largest number
	 * seen plus one. The array is kept across parses. */
	struct procstat_cpu *cpu;
	size_t ncpu, cap;
};

/* Parse the NUL-terminated contents of /proc/stat into st (counters reset
 * first). 0, -EINVAL on a malformed line, -ERANGE on overflow or an absurd
 * cpu number, -ENOMEM. (A file cut mid-line is refused when it is read:
 * readfile_text_path.) Lines that are absent are not an error here: st->seen
 * and st->ncpu tell each collector whether what it publishes was there. */
int procstat_parse(const char *data, struct procstat *st);
void procstat_free(struct procstat *st);

#endif
