"""Tier checks of test-vm: the mechanics of the tier benchmarks on every
CPU-less node of an emulated machine, measured from the node with CPUs
nearest to it (by SLIT distance, as hwbench chooses).

- memory.interleave at 3:1 between that node and the CPU-less one: the
  split counted page by page is 0.75/0.25 within 0.01;
- memory.migrate to the CPU-less node (move_pages, mbind, migrate_pages;
  4 KiB and huge pages): every record ok, every page found there;
- memory.loaded_latency on the CPU-less node, every mix: complete records,
  p50 <= p90 <= p99 <= p99.9 at every point, pages on the node;
- memory.interference with the CPU-less node as victim: complete records,
  its buffers on the node, the losses derived from the medians;
- memory.mlp on the CPU-less node: complete records, pages on the node.

Figures under TCG are an emulator's: nothing here asserts a speed.
"""

import math

# Small sizes: TCG is slow.
STEPS = {
    "interleave": ("memory.interleave", lambda near, node: [
        f"nodes={near},{node}", "ratio=3:1", "kernel=triad", "bytes=16MiB", "page=4k"]),
    "migrate": ("memory.migrate", lambda near, node: [
        f"from={near}", f"to={node}", "bytes=8MiB"]),
    "loaded": ("memory.loaded_latency", lambda near, node: [
        f"node={node}", "mix=all", "delay=none,0", "bytes=8MiB", "traffic_bytes=8MiB", "page=4k"]),
    "interference": ("memory.interference", lambda near, node: [
        f"victim={node}", f"aggressor={near}", "bytes=8MiB", "traffic_bytes=8MiB", "page=4k"]),
    "mlp": ("memory.mlp", lambda near, node: [f"node={node}", "chains=1,4", "bytes=8MiB", "page=4k"]),
}
PREFIX = "tier-"
TOLERANCE = 0.01
MIN_ON_NODE_FRACTION = 0.99
MIXES = ("read", "3:1", "2:1", "1:1", "nt_write")
TAILS = ("latency_p50", "latency_p90", "latency_p99", "latency_p999")


def nearest_cpu_node(model, node):
    """The node with CPUs nearest to `node` by SLIT distance (lowest index on ties)."""
    target = next(n for n in model if n["os_index"] == node)
    with_cpus = [n["os_index"] for n in model if n["cpus"]]
    return min(with_cpus, key=lambda i: (target["distances"].get(str(i), 1 << 30), i))


def steps(model, benchmarks):
    """(name, argv) of every tier step for this machine, and (name, why) of
    those whose benchmark this build does not list."""
    out, missing = [], []
    for node in (n["os_index"] for n in model if n["cpu_less"]):
        near = nearest_cpu_node(model, node)
        for short, (bench_id, settings) in STEPS.items():
            if bench_id not in benchmarks:
                missing.append((bench_id, f"{bench_id} is not in `hwbench list` of this build"))
                continue
            argv = ["hwbench", "--quiet", "run", bench_id, "--json", "--out", "/tmp/docs"]
            for s in settings(near, node):
                argv += ["--set", s]
            out.append((f"{PREFIX}{short}-node{node}", argv))
    return out, sorted(set(missing))


def handles(step):
    """True for the steps this module planned."""
    return step.startswith(PREFIX)


def describe(machine, step):
    """The check's name as test-vm prints it."""
    short, node = step[len(PREFIX):].rsplit("-node", 1)
    return {
        "interleave": f"{machine}: memory.interleave 3:1 with CPU-less node {node} gives a verified 0.75/0.25 split",
        "migrate": f"{machine}: memory.migrate to CPU-less node {node} leaves every page there",
        "loaded": f"{machine}: memory.loaded_latency curve family on CPU-less node {node} complete, tails ordered",
        "interference": f"{machine}: memory.interference with CPU-less node {node} as victim complete",
        "mlp": f"{machine}: memory.mlp on CPU-less node {node} complete",
    }[short]


def records(doc, bench_id):
    return [r for r in doc.get("benchmarks", []) if r["id"] == bench_id]


def metric(record, name):
    return next((m["value"] for m in record.get("metrics", []) if m["name"] == name), None)


def not_ok(rs):
    return [f"{r['params']}: {r['status']}: {r.get('reason')}" for r in rs if r["status"] != "ok"]


def finite(record, names):
    return [f"{record['params']}: {n} is {metric(record, n)!r}" for n in names
            if not isinstance(metric(record, n), (int, float)) or not math.isfinite(metric(record, n))]


def placed_on(record, node):
    p = record.get("placement") or {}
    if p.get("node") != node or (p.get("on_node_fraction") or 0) < MIN_ON_NODE_FRACTION:
        return [f"{record['params']}: placement {p}, expected node {node} with >= {MIN_ON_NODE_FRACTION}"]
    return []


def the_one_ok(doc, bench_id):
    """(the record, []) when the document holds exactly one record of
    `bench_id` and it is ok, else (None, the problems)."""
    rs = records(doc, bench_id)
    if len(rs) != 1:
        return None, [f"{len(rs)} {bench_id} records, expected 1"]
    problems = not_ok(rs)
    return (None, problems) if problems else (rs[0], [])


def check_interleave(doc, near, node):
    r, problems = the_one_ok(doc, "memory.interleave")
    if r is None:
        return problems
    obtained = r["info"].get("split_obtained", {})
    want = {str(near): 0.75, str(node): 0.25}
    for n, fraction in want.items():
        got = obtained.get(n, 0.0)
        if abs(got - fraction) > TOLERANCE:
            problems.append(f"node {n}: {got} of pages, asked {fraction} (split {obtained})")
    if set(obtained) - set(want):
        problems.append(f"pages on other nodes: {obtained}")
    if not r["info"].get("split_pages_checked"):
        problems.append("no page counted")
    return problems + finite(r, ["bandwidth_triad", "latency_p50", "latency_p99"])


def check_migrate(doc, near, node):
    rs = records(doc, "memory.migrate")
    calls = sorted((r["params"]["call"], r["params"]["page"]) for r in rs)
    want = sorted((c, p) for c in ("move_pages", "mbind", "migrate_pages") for p in ("4k", "thp"))
    problems = [] if calls == want else [f"records for {calls}, expected {want}"]
    problems += not_ok(rs)
    for r in rs:
        p = r.get("placement") or {}
        if p.get("node") != node or p.get("on_node_fraction") != 1.0 or not p.get("pages_checked"):
            problems.append(f"{r['params']}: placement {p}: every page must be on node {node}")
        if r["params"].get("from") != near:
            problems.append(f"{r['params']}: moved from {r['params'].get('from')}, expected {near}")
        problems += finite(r, ["bandwidth", "pages_per_s"])
    return problems


def check_loaded(doc, near, node):
    rs = records(doc, "memory.loaded_latency")
    seen = sorted({(r["params"]["mix"], str(r["params"]["delay"])) for r in rs})
    want = sorted((m, d) for m in MIXES for d in ("none", "0"))
    problems = [] if seen == want else [f"points {seen}, expected {want}"]
    problems += not_ok(rs)
    for r in (r for r in rs if r["status"] == "ok"):
        problems += finite(r, ("latency", "bandwidth") + TAILS)
        tails = [metric(r, t) for t in TAILS]
        if all(isinstance(t, (int, float)) for t in tails) and tails != sorted(tails):
            problems.append(f"{r['params']}: tails not ordered: {tails}")
        problems += placed_on(r, node)
        if r["params"].get("cpu_node") != near:
            problems.append(f"{r['params']}: chased from node {r['params'].get('cpu_node')}, expected {near}")
    return problems


def check_interference(doc, near, node):
    r, problems = the_one_ok(doc, "memory.interference")
    if r is None:
        return problems
    names = ["latency_p50", "latency_p99", "bandwidth", "latency_p50_alone", "latency_p99_alone",
             "bandwidth_alone", "bandwidth_loss", "latency_p50_increase", "latency_p99_increase",
             "aggressor_bandwidth"]
    problems += finite(r, names) + placed_on(r, node)
    if not problems:
        loss = (1 - metric(r, "bandwidth") / metric(r, "bandwidth_alone")) * 100
        if abs(loss - metric(r, "bandwidth_loss")) > 1e-6 * max(1.0, abs(loss)):
            problems.append(f"bandwidth_loss {metric(r, 'bandwidth_loss')} is not {loss} from the medians")
        for cond in ("", "_alone"):
            if metric(r, "latency_p50" + cond) > metric(r, "latency_p99" + cond):
                problems.append(f"p50{cond} above p99{cond}")
        if metric(r, "aggressor_bandwidth") <= 0:
            problems.append("the aggressor moved nothing")
    return problems


def check_mlp(doc, near, node):
    rs = records(doc, "memory.mlp")
    chains = sorted(r["params"].get("chains") for r in rs)
    problems = [] if chains == [1, 4] else [f"chains {chains}, expected [1, 4]"]
    problems += not_ok(rs)
    for r in (r for r in rs if r["status"] == "ok"):
        problems += finite(r, ["bandwidth", "latency", "latency_idle", "in_flight_per_thread", "in_flight_per_node"])
        problems += placed_on(r, node)
    return problems


CHECKS = {
    "interleave": check_interleave,
    "migrate": check_migrate,
    "loaded": check_loaded,
    "interference": check_interference,
    "mlp": check_mlp,
}


def check(model, step, doc):
    """Problems of one tier step's result document."""
    short, node = step[len(PREFIX):].rsplit("-node", 1)
    node = int(node)
    return CHECKS[short](doc, nearest_cpu_node(model, node), node)
