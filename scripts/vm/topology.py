#!/usr/bin/env python3
"""What a guest kernel will report for a run-in-vm topology file.

Parses the QEMU arguments of a topology file (-m, -smp, -object
memory-backend-*, -numa node|cpu|dist|hmat-lb) and works out the machine the
Linux guest sees: node ids, CPU lists, memory sizes, SLIT distances and the
HMAT figures of access classes 0 and 1, with the conversions QEMU and the
kernel apply:

- latency: QEMU takes ns, writes picoseconds into HMAT (revision 2); the
  kernel divides by 1000 (rounding up): sysfs shows the configured ns.
- bandwidth: QEMU takes bytes/s (a size: 20G = 20 * 2^30) that must be a
  multiple of 1 MiB, writes MiB/s into HMAT; the kernel reports that number
  unchanged as "MB/s": sysfs shows bytes_per_s / 2^20 (20G -> 20480).
- node ids: the kernel numbers proximity domains in the order the SRAT
  names them: CPU entries first (in CPU order), then memory entries (in
  node order). With CPUs on low node ids this keeps QEMU's numbering.
- HMAT access classes (drivers/acpi/numa/hmat.c): a node whose
  `initiator=` is set gets exactly that initiator and its figures in
  access0, and in access1 when the initiator has CPUs; otherwise the
  initiators with the best figure for every data type are kept.

Run as a program it prints that expected machine as JSON:
    scripts/vm/topology.py scripts/vm/topologies/cxl-expander
"""

import json
import re
import sys
from dataclasses import dataclass, field

MIB = 1 << 20
SIZE_UNITS = {"": 1, "B": 1, "K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40, "P": 1 << 50, "E": 1 << 60}
LOCAL_DISTANCE = 10
REMOTE_DISTANCE = 20
# HMAT data types as QEMU names them, and which kernel figures each sets.
DATA_TYPES = {
    "access-latency": ("read_latency_ns", "write_latency_ns"),
    "read-latency": ("read_latency_ns",),
    "write-latency": ("write_latency_ns",),
    "access-bandwidth": ("read_bandwidth_mbps", "write_bandwidth_mbps"),
    "read-bandwidth": ("read_bandwidth_mbps",),
    "write-bandwidth": ("write_bandwidth_mbps",),
}
FIGURES = ("read_latency_ns", "write_latency_ns", "read_bandwidth_mbps", "write_bandwidth_mbps")


class TopologyError(Exception):
    """A topology file this model cannot read; the message names the line."""


def parse_size(text, default_unit=""):
    """A QEMU size: a number with an optional K/M/G/T/P/E (binary) suffix."""
    m = re.fullmatch(r"(\d+(?:\.\d+)?)([KMGTPEB]?)", text.strip(), re.IGNORECASE)
    if not m:
        raise ValueError(f"'{text}' is not a size")
    unit = m.group(2).upper() or default_unit
    return int(float(m.group(1)) * SIZE_UNITS[unit])


def parse_list(text):
    """A CPU list such as 0-3 or 5."""
    first, _, last = text.partition("-")
    return list(range(int(first), int(last or first) + 1))


def options(text, positional=None):
    """key=value,... pairs; a leading bare value is stored under `positional`.
    Repeated keys (cpus=0,cpus=2) collect into a list under key + '[]'."""
    out = {}
    for i, part in enumerate(text.split(",")):
        if "=" not in part:
            if i == 0 and positional:
                out[positional] = part
                continue
            raise ValueError(f"'{part}' is not key=value")
        key, value = part.split("=", 1)
        out.setdefault(key + "[]", []).append(value)
        out[key] = value
    return out


def read_args(path):
    """(line number, option, value) for each option of the topology file."""
    with open(path, encoding="utf-8") as f:
        for lineno, line in enumerate(f, 1):
            words = line.split("#", 1)[0].split()
            for i, word in enumerate(words):
                if word.startswith("-"):
                    value = words[i + 1] if i + 1 < len(words) and not words[i + 1].startswith("-") else ""
                    yield lineno, word, value


@dataclass
class Node:
    """A NUMA node as QEMU is told about it (QEMU's node id)."""
    nodeid: int
    memory_bytes: int = 0
    cpus: list = field(default_factory=list)  # QEMU CPU indexes
    initiator: int = None


@dataclass
class Smp:
    """-smp: CPU count and how they split into sockets, dies, cores, threads."""
    cpus: int = 1
    sockets: int = 0
    dies: int = 1
    clusters: int = 1
    cores: int = 0
    threads: int = 1

    def complete(self):
        """Fills what -smp left out the way QEMU 7.2 does (prefer cores)."""
        per_socket = self.dies * self.clusters * self.threads
        if not self.sockets and not self.cores:
            self.sockets = 1
        if not self.cores:
            self.cores = max(1, self.cpus // (self.sockets * per_socket))
        if not self.sockets:
            self.sockets = max(1, self.cpus // (self.cores * per_socket))

    def ids(self, index):
        """(socket, die, core, thread) of a CPU index (x86 order)."""
        thread = index % self.threads
        core = index // self.threads % self.cores
        die = index // (self.threads * self.cores * self.clusters) % self.dies
        socket = index // (self.threads * self.cores * self.clusters * self.dies)
        return socket, die, core, thread


@dataclass
class Config:
    """Everything the topology file says about NUMA."""
    ram_bytes: int = 128 * MIB
    smp: Smp = field(default_factory=Smp)
    backends: dict = field(default_factory=dict)
    nodes: dict = field(default_factory=dict)
    distances: dict = field(default_factory=dict)  # (src, dst) -> value
    hmat: list = field(default_factory=list)  # (initiator, target, data type, value)


def parse(path):
    """Reads a topology file into a Config (QEMU's view, QEMU node ids)."""
    cfg = Config()
    numa_cpus = []  # (node, socket, die, core, thread) from -numa cpu
    for lineno, opt, value in read_args(path):
        try:
            parse_option(cfg, numa_cpus, opt, value)
        except (ValueError, KeyError) as e:
            raise TopologyError(f"{path}:{lineno}: {opt} {value}: {e}") from None
    cfg.smp.complete()
    for node, *ids in numa_cpus:
        for index in range(cfg.smp.cpus):
            if all(want is None or want == got for want, got in zip(ids, cfg.smp.ids(index))):
                cfg.nodes[node].cpus.append(index)
    if cfg.nodes:
        assigned = {c for n in cfg.nodes.values() for c in n.cpus}
        # QEMU puts CPUs no node claims on node 0.
        cfg.nodes[min(cfg.nodes)].cpus += [c for c in range(cfg.smp.cpus) if c not in assigned]
        for n in cfg.nodes.values():
            n.cpus.sort()
    return cfg


def parse_option(cfg, numa_cpus, opt, value):
    """Applies one QEMU option to `cfg`; ignores options unrelated to NUMA."""
    if opt == "-m":
        o = options(value, "size")
        cfg.ram_bytes = parse_size(o["size"], "M")
    elif opt == "-smp":
        o = options(value, "cpus")
        cfg.smp = Smp(**{k: int(o[k]) for k in ("cpus", "sockets", "dies", "clusters", "cores", "threads") if k in o})
    elif opt == "-object":
        o = options(value, "type")
        if o["type"].startswith("memory-backend-"):
            cfg.backends[o["id"]] = parse_size(o["size"])
    elif opt == "-numa":
        o = options(value, "type")
        kind = o["type"]
        if kind == "node":
            nodeid = int(o.get("nodeid", len(cfg.nodes)))
            node = Node(nodeid)
            if "memdev" in o:
                node.memory_bytes = cfg.backends[o["memdev"]]
            elif "mem" in o:
                node.memory_bytes = parse_size(o["mem"], "M")
            for cpus in o.get("cpus[]", []):
                node.cpus += parse_list(cpus)
            if "initiator" in o:
                node.initiator = int(o["initiator"])
            cfg.nodes[nodeid] = node
        elif kind == "cpu":
            ids = [int(o[k]) if k in o else None for k in ("socket-id", "die-id", "core-id", "thread-id")]
            numa_cpus.append((int(o["node-id"]), *ids))
        elif kind == "dist":
            cfg.distances[(int(o["src"]), int(o["dst"]))] = int(o["val"])
        elif kind == "hmat-lb":
            if o.get("hierarchy", "memory") != "memory":
                return  # memory-side cache figures do not reach the access classes
            data_type = o["data-type"]
            if data_type not in DATA_TYPES:
                raise ValueError(f"unknown data-type {data_type}")
            if "latency" in data_type:
                figure = int(o["latency"])
            else:
                bandwidth = parse_size(o["bandwidth"])
                if bandwidth % MIB:
                    raise ValueError("bandwidth must be a multiple of 1 MiB (QEMU refuses others)")
                figure = bandwidth // MIB
            cfg.hmat.append((int(o["initiator"]), int(o["target"]), data_type, figure))


def kernel_node_ids(cfg):
    """QEMU node id -> Linux node id, in the order the SRAT names them."""
    order = []
    for index in range(cfg.smp.cpus):
        for n in sorted(cfg.nodes.values(), key=lambda n: n.nodeid):
            if index in n.cpus and n.nodeid not in order:
                order.append(n.nodeid)
    order += [n for n in sorted(cfg.nodes) if cfg.nodes[n].memory_bytes and n not in order]
    return {qemu: linux for linux, qemu in enumerate(order)}


def distance(cfg, src, dst):
    """SLIT distance as the guest sees it (QEMU fills the reverse direction)."""
    if src == dst:
        return LOCAL_DISTANCE
    if not cfg.distances:
        return REMOTE_DISTANCE
    return cfg.distances.get((src, dst), cfg.distances.get((dst, src), REMOTE_DISTANCE))


def figures(cfg, initiator, target):
    """The kernel's figures for one initiator -> target pair; like sysfs, 0
    where nothing sets one. QEMU writes one structure per data type used, in the
    order of DATA_TYPES, holding every initiator x target pair, 0 where the
    file gives none; the kernel applies them in that order, 0 included, so a
    later structure can zero a figure an earlier one set."""
    out = dict.fromkeys(FIGURES, 0)
    for data_type, names in DATA_TYPES.items():
        given = {(i, t): v for i, t, d, v in cfg.hmat if d == data_type}
        if given:
            for name in names:
                out[name] = given.get((initiator, target), 0)
    return out


def best_initiators(cfg, target, initiators):
    """Kernel rule without a declared initiator: keep the initiators that
    give the best figure of every data type; figures are those bests."""
    keep = set(initiators)
    best = dict.fromkeys(FIGURES, 0)
    for name in ("write_latency_ns", "read_latency_ns", "write_bandwidth_mbps", "read_bandwidth_mbps"):
        values = {i: figures(cfg, i, target)[name] for i in sorted(keep)}
        present = [v for v in values.values() if v]
        if not present:
            continue
        best[name] = min(present) if "latency" in name else max(present)
        keep = {i for i, v in values.items() if v == best[name]}
    return sorted(keep), best


def expected(cfg):
    """The guest's NUMA nodes in the JSON shape of hwbench's Topology nodes
    (os_index, cpus, cpu_less, distances, hmat; memory_bytes as configured:
    the kernel reports somewhat less), and hmat_pairs: the file's figures for
    every initiator x memory node pair, including those sysfs does not show;
    packages: the CPUs of each socket."""
    ids = kernel_node_ids(cfg)
    cpu_nodes = [n for n in sorted(cfg.nodes) if cfg.nodes[n].cpus]
    nodes = []
    for qemu_id in sorted(cfg.nodes, key=lambda n: ids.get(n, 1 << 30)):
        node = cfg.nodes[qemu_id]
        if qemu_id not in ids:
            continue  # no memory and no CPU: the kernel shows no node
        hmat = []
        if cfg.hmat and node.memory_bytes:
            if node.initiator is not None:
                initiators, figs = [node.initiator], figures(cfg, node.initiator, qemu_id)
            else:
                initiators, figs = best_initiators(cfg, qemu_id, cpu_nodes)
            if initiators:
                for access_class in (0, 1):
                    hmat.append({"access_class": access_class, "initiators": sorted(ids[i] for i in initiators), **figs})
        nodes.append({
            "os_index": ids[qemu_id],
            "cpus": node.cpus,
            "cpu_less": not node.cpus,
            "memory_bytes": node.memory_bytes,
            "distances": {str(ids[o]): distance(cfg, qemu_id, o) for o in sorted(ids, key=ids.get)},
            "hmat": hmat,
        })
    pairs = [
        {"initiator": ids[i], "target": ids[t], **figures(cfg, i, t)}
        for i in cpu_nodes
        for t in sorted(ids, key=ids.get)
        if cfg.nodes[t].memory_bytes
    ]
    packages = [[c for c in range(cfg.smp.cpus) if cfg.smp.ids(c)[0] == s] for s in range(cfg.smp.sockets)]
    return {"nodes": nodes, "hmat_pairs": pairs if cfg.hmat else [], "packages": [p for p in packages if p]}


def main(argv):
    if len(argv) != 2:
        print("usage: topology.py TOPOLOGY_FILE", file=sys.stderr)
        return 2
    try:
        print(json.dumps(expected(parse(argv[1])), indent=2))
    except (OSError, TopologyError) as e:
        print(f"topology.py: {e}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
