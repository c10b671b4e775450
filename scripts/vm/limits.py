"""The process-limits case of `make test-vm`: hwbench inside a cgroup whose
cpuset allows some CPUs and NUMA nodes only (as Kubernetes' topology manager
pins a pod). One boot of limited/two-socket-two-cxl (nodes 0 and 1 with a
CPU each, CPU-less nodes 2 and 3); the guest makes cgroup /pod with CPU 1
and memory nodes 0-1, moves its shell there and runs each step:

- `hwbench topology --json` describes all four nodes and says what is
  allowed (CPU 1, nodes 0-1, cgroup /pod); the reference node is node 1,
  whose CPU the process may use;
- asking for a disallowed node (`memory.latency node=3`) is bad input: exit
  2, with the reason;
- memory.mlp `node=all` measures nodes 0 and 1 only, from node 1's CPU,
  each placement verified there; `node=cpuless` measures nothing and says
  why (both CPU-less nodes are outside the cpuset);
- memory.matrix measures from node 1 only, to nodes 0 and 1 only.
No record targets node 2 or 3.
"""

from pathlib import Path

TOPOLOGY = Path(__file__).resolve().parent / "limited" / "two-socket-two-cxl"
CPUS, MEMS, CGROUP = [1], [0, 1], "/pod"
SETUP = (
    "mount -t cgroup2 none /sys/fs/cgroup && echo +cpuset >/sys/fs/cgroup/cgroup.subtree_control && "
    "mkdir /sys/fs/cgroup/pod && echo 1 >/sys/fs/cgroup/pod/cpuset.cpus && "
    "echo 0-1 >/sys/fs/cgroup/pod/cpuset.mems && echo $$ >/sys/fs/cgroup/pod/cgroup.procs || exit 97"
)
SMALL = ["--set", "bytes=4MiB", "--set", "page=4k"]


def run(bench_id, *sets):
    argv = ["hwbench", "--quiet", "run", bench_id, "--json", "--out", "/tmp/docs"] + SMALL
    for s in sets:
        argv += ["--set", s]
    return argv


STEPS = [
    ("topology", ["hwbench", "topology", "--json"]),
    ("refused", run("memory.latency", "node=3")),
    ("mlp-all", run("memory.mlp", "node=all", "chains=1")),
    ("mlp-cpuless", run("memory.mlp", "node=cpuless", "chains=1")),
    ("matrix", run("memory.matrix")),
]


def targets(doc):
    """(benchmark id, node, cpu_node) of every record of a result document."""
    return [(r["id"], r["params"].get("node"), r["params"].get("cpu_node")) for r in doc["benchmarks"]]


def check(step, rc, out, err, document, check_placement):
    """Problems with one step's outcome; `document` parses a step's stdout
    as a result document, `check_placement` checks one node's placements."""
    if step == "refused":
        if rc != 2 or "node 3 is not allowed here" not in err:
            return [f"exit {rc}, stderr {err[-600:]!r}: expected exit 2 naming node 3 as not allowed"]
        return []
    doc, problems = document(step)
    if problems:
        return problems
    if step == "topology":
        allowed = doc.get("allowed") or {}
        got = (allowed.get("cpus"), allowed.get("nodes"), allowed.get("cgroup"))
        if got != (CPUS, MEMS, CGROUP):
            problems.append(f"allowed {got}, the cgroup allows {(CPUS, MEMS, CGROUP)}")
        if [n["os_index"] for n in doc["nodes"]] != [0, 1, 2, 3]:
            problems.append(f"nodes {[n['os_index'] for n in doc['nodes']]}: every node is described, allowed or not")
        local = [n["os_index"] for n in doc["nodes"] if (n.get("tier") or {}).get("tier") == "local_dram"]
        if local != [1]:
            problems.append(f"local DRAM nodes {local}: the reference node is node 1, whose CPU is allowed")
        return problems
    seen = [t for t in targets(doc) if t[1] != "cpuless"]
    if any(node not in MEMS for _, node, _ in seen) or any(c is not None and c not in CPUS for _, _, c in seen):
        problems.append(f"records target disallowed nodes or CPUs: {seen}")
    if step == "mlp-all":
        if sorted(node for _, node, _ in seen) != MEMS:
            problems.append(f"node=all measured nodes {[n for _, n, _ in seen]}, expected {MEMS}")
        for node in MEMS:
            one = {**doc, "benchmarks": [r for r in doc["benchmarks"] if r["params"].get("node") == node]}
            problems += check_placement(one, node)
    if step == "mlp-cpuless":
        reasons = [r.get("reason") or "" for r in doc["benchmarks"]]
        if any(r["status"] == "ok" for r in doc["benchmarks"]) or not all("outside its cpuset" in w for w in reasons):
            problems.append(f"node=cpuless gave {[(r['status'], r.get('reason')) for r in doc['benchmarks']]}: "
                            "both CPU-less nodes are disallowed, and the record should say so")
    if step == "matrix":
        cells = sorted((node, cpu) for _, node, cpu in seen)
        if cells != [(0, 1), (1, 1)] or any(r["status"] != "ok" for r in doc["benchmarks"]):
            problems.append(f"matrix cells (node, cpu_node) {cells}, expected [(0, 1), (1, 1)], all ok: "
                            f"{[(r['params'], r['status'], r.get('reason')) for r in doc['benchmarks']]}")
    return problems
