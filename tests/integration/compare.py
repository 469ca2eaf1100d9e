#!/usr/bin/python3
"""Compare two scrapes sample by sample: hostwatch against node_exporter.

usage: compare.py REFERENCE.txt CANDIDATE.txt [--series-only] [--family-prefix P ...]

Every family the reference has (minus the exporter's own and the per-scrape
timings, listed in IGNORE) must exist in the candidate with the same HELP and
TYPE, the same set of series (name + labels) and the same values, floats
compared numerically. --series-only compares the series sets, not values
(for two live scrapes of a changing host). Prints one line per difference
and a closing "N passed, N failed".
"""
import math
import sys

from prometheus_client.parser import text_string_to_metric_families

# Not comparable by nature: the exporter's own process and runtime, its build,
# and how long each collector took.
IGNORE_PREFIXES = ("go_", "process_", "promhttp_", "node_exporter_build_info",
                   "hostwatch_build_info", "node_scrape_collector_duration_seconds")
# Clocks read a moment apart: equal within this many seconds.
TOLERANCE = {"node_time_seconds": 5.0}


def load(path):
    fams = {}
    with open(path, encoding="utf-8") as f:
        for fam in text_string_to_metric_families(f.read()):
            fams[fam.name] = fam
    return fams


def key(sample):
    return sample.name + "{" + ",".join(
        '%s="%s"' % kv for kv in sorted(sample.labels.items())) + "}"


def same(a, b, name):
    if math.isnan(a) and math.isnan(b):
        return True
    if name in TOLERANCE:
        return abs(a - b) <= TOLERANCE[name]
    if a == b:
        return True
    return abs(a - b) <= 1e-12 * max(abs(a), abs(b))


def main():
    args = sys.argv[1:]
    series_only = "--series-only" in args
    prefixes = []
    while "--family-prefix" in args:
        i = args.index("--family-prefix")
        prefixes.append(args[i + 1])
        del args[i:i + 2]
    args = [a for a in args if a != "--series-only"]
    ref, cand = load(args[0]), load(args[1])
    passed = failed = 0

    def bad(msg):
        nonlocal failed
        failed += 1
        print("not ok -", msg)

    for name, rf in sorted(ref.items()):
        if name.startswith(IGNORE_PREFIXES):
            continue
        if prefixes and not name.startswith(tuple(prefixes)):
            continue
        cf = cand.get(name)
        if cf is None:
            bad("family %s missing (%d samples in the reference)" % (name, len(rf.samples)))
            continue
        if rf.documentation != cf.documentation:
            bad("family %s HELP differs: %r vs %r" % (name, rf.documentation, cf.documentation))
        if rf.type != cf.type:
            bad("family %s TYPE differs: %s vs %s" % (name, rf.type, cf.type))
        rs = {key(s): s.value for s in rf.samples}
        cs = {key(s): s.value for s in cf.samples}
        for k in sorted(set(rs) - set(cs)):
            bad("series missing: %s (reference value %r)" % (k, rs[k]))
        for k in sorted(set(cs) - set(rs)):
            bad("series not in the reference: %s %r" % (k, cs[k]))
        for k in sorted(set(rs) & set(cs)):
            if series_only or same(rs[k], cs[k], name):
                passed += 1
            else:
                bad("value differs: %s reference %r, hostwatch %r" % (k, rs[k], cs[k]))
    for name in sorted(set(cand) - set(ref)):
        if name.startswith(IGNORE_PREFIXES) or (prefixes and not name.startswith(tuple(prefixes))):
            continue
        bad("family %s is not in the reference" % name)
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed or passed == 0 else 0


if __name__ == "__main__":
    sys.exit(main())
