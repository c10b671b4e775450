"""Checks of what a guest reported against what its topology file configured.

Each check function returns a list of problems (empty: the check passed).
`model` is topology.expected(...)["nodes"]: the nodes the guest kernel
should show, with the figures the kernel should report.
"""

import re

FIGURES = ("read_latency_ns", "write_latency_ns", "read_bandwidth_mbps", "write_bandwidth_mbps")
SYSFS_FIGURES = dict(zip(("read_latency", "write_latency", "read_bandwidth", "write_bandwidth"), FIGURES))
MIB = 1 << 20
# A node's memory as the kernel reports it lies below its configured size
# by the memory the kernel reserves there (tens of MiB here).
MEMORY_SLACK_FRACTION = 4
MEMORY_SLACK_MIN = 96 * MIB
MIN_ON_NODE_FRACTION = 0.99
# The tier rule stated by the HMAT figures: HBM-like when a CPU-less node
# has at least this many times the bandwidth of the reference node's DRAM
# at no more than HBM_LATENCY_RATIO times its latency; else CXL (far).
HBM_BANDWIDTH_RATIO = 2.0
HBM_LATENCY_RATIO = 1.5
SYSFS_DUMP = r"""
cd /sys/devices/system/node
for n in node[0-9]*; do
    echo "node ${n#node} cpus=$(cat $n/cpulist) memtotal_kb=$(awk '/MemTotal/ {print $4}' $n/meminfo) distance=$(cat $n/distance | tr ' ' ,)"
    for a in $n/access[0-9]*; do
        [ -d "$a" ] || continue
        ini=$(ls "$a/initiators" | sed -n 's/^node//p' | tr '\n' , | sed 's/,$//')
        figs=""
        for f in read_latency write_latency read_bandwidth write_bandwidth; do
            figs="$figs $f=$(cat $a/initiators/$f)"
        done
        echo "access ${n#node} ${a##*access} initiators=$ini$figs"
    done
done
"""


def cpu_list(text):
    """Parses a kernel CPU list such as 0-1,4."""
    cpus = []
    for part in filter(None, text.split(",")):
        first, _, last = part.partition("-")
        cpus += range(int(first), int(last or first) + 1)
    return cpus


def parse_sysfs_dump(text):
    """The output of SYSFS_DUMP as nodes shaped like the model's."""
    nodes = {}
    for line in text.splitlines():
        words = line.split()
        if not words:
            continue
        fields = dict(w.split("=", 1) for w in words[2:] if "=" in w)
        index = int(words[1])
        if words[0] == "node":
            distances = [int(d) for d in fields["distance"].split(",")]
            nodes[index] = {
                "os_index": index,
                "cpus": cpu_list(fields["cpus"]),
                "memory_bytes": int(fields["memtotal_kb"]) * 1024,
                "distances": {str(i): d for i, d in enumerate(distances)},
                "hmat": [],
            }
        elif words[0] == "access":
            figs = {SYSFS_FIGURES[k]: int(v) for k, v in fields.items() if k in SYSFS_FIGURES}
            initiators = sorted(int(i) for i in fields["initiators"].split(",") if i)
            nodes[index]["hmat"].append({"access_class": int(words[2]), "initiators": initiators, **figs})
    return [nodes[i] for i in sorted(nodes)]


def memory_matches(configured, reported):
    """True when a reported node size fits the configured one."""
    slack = max(configured // MEMORY_SLACK_FRACTION, MEMORY_SLACK_MIN)
    return configured - slack <= reported <= configured


def hmat_key(entries):
    """HMAT entries comparable across sources: 0 and null both mean unknown."""
    return sorted(
        (h["access_class"], tuple(h["initiators"]), tuple(h.get(f) or 0 for f in FIGURES)) for h in entries
    )


def best_class(entries):
    """The HMAT entries of the highest access class present: what hwloc, and
    so hwbench, reports (Linux's access1, CPU initiators, when there is one)."""
    best = max((h["access_class"] for h in entries), default=None)
    return [h for h in entries if h["access_class"] == best]


def compare_nodes(model, actual, what, hmat_classes=lambda entries: entries):
    """Problems where `actual` nodes (kernel or hwbench) differ from the model;
    `hmat_classes` picks the model's HMAT entries `actual` should have."""
    problems = []
    want = {n["os_index"]: n for n in model}
    got = {n["os_index"]: n for n in actual}
    if sorted(want) != sorted(got):
        return [f"{what} has nodes {sorted(got)}, the topology file configures {sorted(want)}"]
    for index, w in want.items():
        g = got[index]
        if sorted(g["cpus"]) != w["cpus"]:
            problems.append(f"node {index}: {what} CPUs {g['cpus']}, configured {w['cpus']}")
        if "cpu_less" in g and g["cpu_less"] != w["cpu_less"]:
            problems.append(f"node {index}: {what} cpu_less={g['cpu_less']}, configured {w['cpu_less']}")
        if {str(k): v for k, v in g["distances"].items()} != w["distances"]:
            problems.append(f"node {index}: {what} distances {g['distances']}, configured {w['distances']}")
        if not memory_matches(w["memory_bytes"], g["memory_bytes"]):
            problems.append(
                f"node {index}: {what} memory {g['memory_bytes'] // MIB} MiB, configured {w['memory_bytes'] // MIB} MiB"
            )
        want_hmat = hmat_key(hmat_classes(w["hmat"]))
        if hmat_key(g.get("hmat", [])) != want_hmat:
            problems.append(f"node {index}: {what} HMAT {hmat_key(g.get('hmat', []))}, configured {want_hmat}")
    return problems


def check_packages(expected, topology):
    """Problems with the packages and cores hwbench got from hwloc: one
    package per socket holding that socket's CPUs."""
    got = {}
    for core in topology["cores"]:
        got.setdefault(core["package"], []).extend(core["pus"])
    got = sorted(sorted(cpus) for cpus in got.values())
    want = sorted(expected["packages"])
    problems = []
    if topology["packages"] != len(want):
        problems.append(f"{topology['packages']} packages, configured {len(want)}")
    if got != want:
        problems.append(f"CPUs by package {got}, configured {want}")
    return problems


def reference_figures(node, initiator):
    """(read latency, read bandwidth) of `node` seen from `initiator`, from
    the HMAT entries that name it; None when they do not."""
    for h in sorted(node["hmat"], key=lambda h: -h["access_class"]):
        if initiator in h["initiators"] and h["read_latency_ns"] and h["read_bandwidth_mbps"]:
            return h["read_latency_ns"], h["read_bandwidth_mbps"]
    return None


def expected_tiers(model):
    """node -> (tier, figure its evidence must cite or None), measured from
    the node holding CPU 0 (where hwbench runs by default)."""
    reference = next(n for n in model if 0 in n["cpus"])
    ref = reference_figures(reference, reference["os_index"])
    tiers = {}
    for node in model:
        if node["cpus"]:
            tier = "local_dram" if node is reference else "remote_dram"
            tiers[node["os_index"]] = (tier, None)
            continue
        figs = reference_figures(node, reference["os_index"])
        tier = "cxl"
        if figs and ref and figs[1] >= HBM_BANDWIDTH_RATIO * ref[1] and figs[0] <= HBM_LATENCY_RATIO * ref[0]:
            tier = "hbm"
        tiers[node["os_index"]] = (tier, figs[0] if figs else None)
    return tiers


def check_tiers(model, topology):
    """Problems with hwbench's tier labels and their evidence."""
    problems = []
    got = {n["os_index"]: n.get("tier") for n in topology["nodes"]}
    for index, (tier, cited) in expected_tiers(model).items():
        label = got.get(index)
        if not label:
            problems.append(f"node {index}: no tier label, expected {tier}")
            continue
        if label["tier"] != tier:
            problems.append(f"node {index}: tier {label['tier']}, expected {tier} (evidence: {label['evidence']})")
        if not label["evidence"]:
            problems.append(f"node {index}: tier {label['tier']} without evidence")
        elif cited and not any(re.search(rf"\b{cited}\b", e) for e in label["evidence"]):
            problems.append(f"node {index}: evidence {label['evidence']} does not cite the HMAT latency {cited} ns")
    return problems


def check_placement(doc, node):
    """Problems with a run bound to `node`: every placed record must be ok
    and verified on that node."""
    placed = [r for r in doc["benchmarks"] if r.get("placement")]
    if not placed:
        return [f"no record with a placement (records: {[(r['id'], r['status'], r.get('reason')) for r in doc['benchmarks']]})"]
    problems = []
    for r in placed:
        p = r["placement"]
        fraction = p.get("on_node_fraction")
        where = f"{r['id']} {r['params']}"
        if r["status"] != "ok":
            problems.append(f"{where}: status {r['status']}: {r.get('reason')}")
        if p.get("node") != node:
            problems.append(f"{where}: placement node {p.get('node')}, asked for {node}")
        if p.get("unverified"):
            problems.append(f"{where}: placement not verified: {p['unverified']}")
        elif fraction is None or fraction < MIN_ON_NODE_FRACTION:
            problems.append(f"{where}: on_node_fraction {fraction} < {MIN_ON_NODE_FRACTION}")
        if not p.get("pages_checked"):
            problems.append(f"{where}: no pages checked")
    return problems


def check_refused(doc, bench, node):
    """Problems with a run asking `node` for more memory than it has: it must
    be recorded as failed with a reason naming the node, and nothing measured."""
    records = [r for r in doc["benchmarks"] if r["id"] == bench]
    if not records:
        return [f"no {bench} record: the refusal is not recorded"]
    problems = []
    for r in records:
        if r["status"] != "failed":
            problems.append(f"{bench} {r['params']}: status {r['status']}, expected failed (placement {r.get('placement')})")
        elif not re.search(rf"\bnode {node}\b", r.get("reason") or ""):
            problems.append(f"{bench}: reason {r.get('reason')!r} does not name node {node}")
        if r.get("metrics"):
            problems.append(f"{bench}: a refused record carries metrics {[m['name'] for m in r['metrics']]}")
    return problems
