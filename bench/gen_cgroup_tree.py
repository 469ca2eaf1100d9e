#!/usr/bin/python3
"""gen_cgroup_tree.py TREE N FIXTURES: a cgroup v2 tree of N cgroups (the
root included) for the benches: root + slices + services, some with a
child at depth 3; every file the cgroup collector reads, with the contents
of FIXTURES' system.slice/nginx.service (a 6.18 kernel's), a CPU quota on
every fourth service, numbers of the same length differing per cgroup."""
import os, sys
tree, n, fx = sys.argv[1], int(sys.argv[2]), sys.argv[3]
tpl = {f: open(os.path.join(fx, "system.slice/nginx.service", f)).read()
       for f in ("cpu.stat", "memory.current", "memory.stat", "memory.swap.current",
                 "memory.max", "memory.events", "pids.current", "cgroup.procs",
                 "io.stat", "cpu.pressure", "memory.pressure", "io.pressure",
                 "cgroup.controllers", "cgroup.type", "memory.high", "pids.max")}
root = {f: open(os.path.join(fx, f)).read()
        for f in ("cgroup.controllers", "cgroup.procs", "cpu.stat", "memory.stat",
                  "io.stat", "cpu.pressure", "memory.pressure", "io.pressure",
                  "cgroup.subtree_control")}
def write(d, files):
    os.makedirs(d, exist_ok=True)
    for k, v in files.items():
        with open(os.path.join(d, k), "w") as f:
            f.write(v)
count = 0
def cg(path, i):
    global count
    files = dict(tpl)
    files["cpu.max"] = "50000 100000\n" if i % 4 == 0 else "max 100000\n"
    # numbers of the same length, different per cgroup
    files["memory.current"] = "%d\n" % (150994944 + i * 4096)
    files["pids.current"] = "%d\n" % (1 + i % 9)
    write(os.path.join(tree, path), files)
    count += 1
write(tree, root)
count = 1
slices = max(1, n // 25)
i = 0
for s in range(slices):
    if count >= n: break
    cg("slice%03d.slice" % s, i); i += 1
per = (n - 1 - slices) // slices + 1
for s in range(slices):
    for j in range(per):
        if count >= n: break
        svc = "slice%03d.slice/svc%04d.service" % (s, j)
        cg(svc, i); i += 1
        if j % 10 == 0 and count < n:
            cg(svc + "/payload.scope", i); i += 1
assert count == n, (count, n)
