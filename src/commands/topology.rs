//! `hwbench topology`: what the machine is.

use std::process::ExitCode;

use anyhow::Context as _;
use clap::Args;
use hwbench_schema::{units::format_bytes, Cache, Topology};

use crate::cli::GlobalArgs;

/// Arguments of `hwbench topology`.
#[derive(Debug, Args)]
pub struct TopologyArgs {
    /// Print the topology as JSON (sizes in bytes).
    #[arg(long)]
    pub json: bool,
}

/// Prints the topology.
pub fn run(args: &TopologyArgs, global: &GlobalArgs) -> anyhow::Result<ExitCode> {
    let root = super::sysroot(global);
    let topology = machine_topology(&root)?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&topology)?);
    } else {
        print!("{}", render(&topology));
    }
    Ok(ExitCode::SUCCESS)
}

/// The topology of the machine under `root` with tier labels and, on the
/// live machine, the GPU adapters wgpu finds.
pub fn machine_topology(root: &hwbench_probes::SysRoot) -> anyhow::Result<Topology> {
    let mut topology = hwbench_probes::topology::probe_classified(root).context("reading the topology")?;
    hwbench_suites::run::describe_gpus(&mut topology, &mut hwbench_suites::gpu::Gpus::new(), root, true);
    Ok(topology)
}

/// The human-readable view.
fn render(t: &Topology) -> String {
    use hwbench_probes::sysroot::format_list;
    let pus: usize = t.cores.iter().map(|c| c.pus.len()).sum();
    let mut out = format!("{} package(s), {} core(s), {} PU(s)   [{}]\n", t.packages, t.cores.len(), pus, t.source);
    if let Some(allowed) = &t.allowed {
        let cgroup = allowed.cgroup.as_deref().map(|c| format!(" (cgroup {c})")).unwrap_or_default();
        out.push_str(&format!(
            "This process may use CPUs {} and memory nodes {}{cgroup}\n",
            format_list(&allowed.cpus),
            format_list(&allowed.nodes)
        ));
    }
    out.push_str("\nCaches\n");
    out.push_str("  level  kind         size  line  ways  instances  PUs per instance\n");
    let mut groups: Vec<(&Cache, usize)> = Vec::new();
    for c in &t.caches {
        match groups.iter_mut().find(|(g, _)| g.level == c.level && g.kind == c.kind && g.size_bytes == c.size_bytes) {
            Some((_, n)) => *n += 1,
            None => groups.push((c, 1)),
        }
    }
    for (c, n) in groups {
        out.push_str(&format!(
            "  L{:<5} {:<11} {:>9} {:>5} {:>5} {:>10}  {}\n",
            c.level,
            format!("{:?}", c.kind).to_lowercase(),
            format_bytes(c.size_bytes),
            c.line_bytes,
            c.associativity,
            n,
            c.shared_by_pus.len()
        ));
    }
    out.push_str(
        "\nNUMA nodes\n  node     memory  cpus        tier         distances  HMAT (read latency, read bandwidth)\n",
    );
    for n in &t.nodes {
        let distances: Vec<String> = n.distances.values().map(u32::to_string).collect();
        let hmat: Vec<String> = n
            .hmat
            .iter()
            .map(|h| {
                format!(
                    "access{} from {}: {}, {}",
                    h.access_class,
                    format_list(&h.initiators),
                    h.read_latency_ns.map_or("latency not provided".into(), |v| format!("{v} ns")),
                    h.read_bandwidth_mbps.map_or("bandwidth not provided".into(), |v| format!("{v} MB/s"))
                )
            })
            .collect();
        let tier = n.tier.as_ref().map_or("unknown".to_string(), |t| format!("{:?}", t.tier));
        let cpus = if n.cpu_less { "(none)".to_string() } else { format_list(&n.cpus) };
        out.push_str(&format!(
            "  {:<4} {:>10}  {:<11} {:<12} {:<10} {}\n",
            n.os_index,
            format_bytes(n.memory_bytes),
            cpus,
            tier,
            distances.join(" "),
            hmat.join("; ")
        ));
        if !t.node_allowed(n.os_index) {
            out.push_str("       not allowed here: outside this process's cpuset, never measured\n");
        }
        if let Some(label) = &n.tier {
            out.push_str(&format!("       evidence: {}\n", label.evidence.join("; ")));
        }
        if !n.infos.is_empty() {
            let infos: Vec<String> = n.infos.iter().map(|(k, v)| format!("{k}={v}")).collect();
            out.push_str(&format!("       hwloc: {}\n", infos.join(", ")));
        }
        for c in &n.memory_side_caches {
            out.push_str(&format!(
                "       memory-side cache (depth {}): {}, line {}\n",
                c.depth,
                c.size_bytes.map_or("size unknown".into(), format_bytes),
                c.line_bytes.map_or("unknown".into(), |l| format!("{l} B"))
            ));
        }
    }
    out.push_str("\nGPU adapters\n");
    for g in &t.gpus {
        out.push_str(&format!(
            "  {:<3} {} [{} {}, {}] driver {} {}; max storage binding {}, features: {}\n",
            g.index,
            g.name,
            g.backend,
            g.device_type,
            g.vendor_name,
            g.driver,
            g.driver_info,
            format_bytes(g.limits.max_storage_buffer_binding_size),
            g.features.len()
        ));
    }
    if let Some(note) = &t.gpu_note {
        out.push_str(&format!("  none: {note}\n"));
    }
    if !t.unknown.is_empty() {
        out.push_str("\nNot read\n");
        for (fact, why) in &t.unknown {
            out.push_str(&format!("  {fact}: {why}\n"));
        }
    }
    for lack in &t.hwloc_lacks {
        out.push_str(&format!("\nhwloc {} cannot give: {lack}\n", t.source.split(';').next().unwrap_or_default()));
    }
    if !t.memory_tiers.is_empty() {
        let tiers: Vec<String> =
            t.memory_tiers.iter().map(|m| format!("tier {}: nodes {}", m.id, format_list(&m.nodes))).collect();
        out.push_str(&format!("\nMemory tiers: {}\n", tiers.join("; ")));
    }
    out
}
