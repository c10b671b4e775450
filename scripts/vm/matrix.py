"""Checks of a memory.matrix result document against a topology file."""

from checks import FIGURES, MIN_ON_NODE_FRACTION


def check_matrix(expected, doc):
    """Problems with a memory.matrix document: every initiator (node with
    CPUs) x memory node pair measured once, placed on its node, with the
    HMAT figures beside the measured ones. `expected` is topology.expected().
    Where sysfs gives figures for the pair they must be there, unchanged;
    where it gives none, the record says they are unavailable, or (read from
    elsewhere) shows the figures the topology file configures."""
    nodes = expected["nodes"]
    initiators = [n["os_index"] for n in nodes if n["cpus"]]
    targets = [n["os_index"] for n in nodes if n["memory_bytes"]]
    records = {}
    problems = []
    for r in doc["benchmarks"]:
        if r["id"] != "memory.matrix":
            continue
        pair = (r["params"].get("cpu_node"), r["params"].get("node"))
        if pair in records:
            problems.append(f"pair cpu_node={pair[0]} node={pair[1]} measured twice")
        records[pair] = r
    want = {(i, t) for i in initiators for t in targets}
    if set(records) != want:
        problems.append(f"pairs {sorted(records)}, expected every initiator x node {sorted(want)}")
    sysfs = {
        (i, n["os_index"]): h
        for n in nodes
        for h in sorted(n["hmat"], key=lambda h: h["access_class"])
        for i in h["initiators"]
    }
    configured = {(p["initiator"], p["target"]): p for p in expected["hmat_pairs"]}
    for pair in sorted(want & set(records)):
        problems += check_pair(pair, records[pair], sysfs.get(pair), configured.get(pair))
    return problems


def check_pair(pair, record, sysfs, configured):
    """Problems with one (initiator, node) record of the matrix."""
    where = f"cpu_node={pair[0]} node={pair[1]}"
    if record["status"] != "ok":
        return [f"{where}: status {record['status']}: {record.get('reason')}"]
    problems = []
    metrics = {m["name"] for m in record["metrics"]}
    if not {"latency", "bandwidth"} <= metrics:
        problems.append(f"{where}: metrics {sorted(metrics)} lack latency or bandwidth")
    fraction = (record.get("placement") or {}).get("on_node_fraction")
    if fraction is None or fraction < MIN_ON_NODE_FRACTION:
        problems.append(f"{where}: on_node_fraction {fraction}")
    info = record.get("info", {})
    shown = {f: info.get(f"hmat_{f}") or 0 for f in FIGURES}
    if sysfs is not None:
        expected = {f: sysfs[f] for f in FIGURES}
        if shown != expected:
            problems.append(f"{where}: HMAT beside the measures {shown}, sysfs/topology file give {expected}")
    elif any(f"hmat_{f}" in info for f in FIGURES):
        expected = {f: (configured or {}).get(f, 0) for f in FIGURES}
        if shown != expected:
            problems.append(f"{where}: HMAT {shown} differs from the topology file's {expected}")
    elif not str(info.get("hmat", "")).startswith("unavailable"):
        problems.append(f"{where}: neither HMAT figures nor why they are unavailable (info: {sorted(info)})")
    return problems
