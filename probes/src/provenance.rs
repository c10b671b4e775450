//! Provenance: what the machine and its software were during a run. Each
//! fact is a value or "unknown" with the reason (docs/METHODS.md, "Provenance").

pub(crate) mod dmi;
mod pci;

use hwbench_schema::{Fact, Machine, Topology};

use crate::sysroot::{SysRoot, SysfsError};

/// CPU flags worth recording: they decide which kernels can run.
const RELEVANT_FLAGS: [&str; 16] = [
    "sse2",
    "sse4_2",
    "avx",
    "avx2",
    "fma",
    "avx512f",
    "avx512bw",
    "avx512vl",
    "avx512_fp16",
    "amx_tile",
    "asimd",
    "sve",
    "sve2",
    "sme",
    "hypervisor",
    "constant_tsc",
];

/// Reads every provenance fact. `rustc` comes from the build.
pub fn probe(root: &SysRoot, topology: &Topology, rustc: Fact<String>) -> Machine {
    let cpuinfo = root.read("/proc/cpuinfo");
    let field = |name: &str| -> Fact<String> {
        match &cpuinfo {
            Ok(text) => cpuinfo_field(text, name)
                .map(Fact::Known)
                .unwrap_or_else(|| Fact::unknown(format!("no '{name}' in /proc/cpuinfo"))),
            Err(e) => Fact::unknown(e.to_string()),
        }
    };
    let number = |name: &str| -> Fact<u32> {
        match field(name) {
            Fact::Known(v) => {
                v.parse().map(Fact::Known).unwrap_or_else(|_| Fact::unknown(format!("'{name}' is '{v}'")))
            }
            Fact::Unknown { unknown } => Fact::unknown(unknown),
        }
    };
    let flags = match field("flags").known().or(field("Features").known()) {
        Some(all) => {
            let set: Vec<&str> = all.split_whitespace().collect();
            Fact::Known(RELEVANT_FLAGS.iter().filter(|f| set.contains(f)).map(|f| f.to_string()).collect())
        }
        None => Fact::unknown("no flags in /proc/cpuinfo"),
    };
    let threads: u32 = topology.cores.iter().map(|c| c.pus.len() as u32).sum();
    let memory_devices = dmi::memory_devices(root);
    let cores = topology.cores.len() as u32;
    Machine {
        hostname: fact(root.read("/proc/sys/kernel/hostname")),
        cpu_vendor: field("vendor_id").or_else(|| field("CPU implementer")),
        cpu_model: field("model name"),
        cpu_family: number("cpu family"),
        cpu_model_number: number("model"),
        cpu_stepping: number("stepping"),
        microcode: field("microcode"),
        cpu_flags: flags,
        sockets: Fact::Known(topology.packages),
        cores: if cores > 0 { Fact::Known(cores) } else { Fact::unknown("hwloc reported no cores") },
        threads: if threads > 0 { Fact::Known(threads) } else { Fact::unknown("hwloc reported no PUs") },
        smt: smt(root, cores, threads),
        memory_bytes: match root.read("/proc/meminfo") {
            Ok(text) => crate::topology::meminfo_field(&text, "MemTotal")
                .map(Fact::Known)
                .unwrap_or_else(|| Fact::unknown("no MemTotal in /proc/meminfo")),
            Err(e) => Fact::unknown(e.to_string()),
        },
        kernel: fact(root.read("/proc/sys/kernel/osrelease")),
        kernel_cmdline: fact(root.read("/proc/cmdline")),
        os: os_name(root),
        cpufreq_driver: fact(root.read("/sys/devices/system/cpu/cpu0/cpufreq/scaling_driver")),
        cpufreq_governor: fact(root.read("/sys/devices/system/cpu/cpu0/cpufreq/scaling_governor")),
        boost: boost(root),
        thp_enabled: fact(root.read("/sys/kernel/mm/transparent_hugepage/enabled").map(|s| bracketed(&s))),
        thp_defrag: fact(root.read("/sys/kernel/mm/transparent_hugepage/defrag").map(|s| bracketed(&s))),
        numa_balancing: fact(root.parse("/proc/sys/kernel/numa_balancing")),
        demotion_enabled: match root.read("/sys/kernel/mm/numa/demotion_enabled") {
            Ok(v) => {
                parse_bool(&v).map(Fact::Known).unwrap_or_else(|| Fact::unknown(format!("demotion_enabled is '{v}'")))
            }
            Err(e) => Fact::unknown(e.to_string()),
        },
        hypervisor: hypervisor(root, &field("flags")),
        rustc,
        hwloc: Fact::Known(crate::topology::version_text(crate::topology::hwloc_version())),
        load_average: match root.read("/proc/loadavg") {
            Ok(text) => parse_loadavg(&text)
                .map(Fact::Known)
                .unwrap_or_else(|| Fact::unknown(format!("/proc/loadavg is '{text}'"))),
            Err(e) => Fact::unknown(e.to_string()),
        },
        bios_version: fact(root.read("/sys/class/dmi/id/bios_version")),
        memory_devices: memory_devices.populated,
        memory_speed_mts: memory_devices.speed_mts,
        gpu_pcie: pci::gpu_links(root),
    }
}

fn fact<T>(r: Result<T, SysfsError>) -> Fact<T> {
    r.into()
}

trait OrElse {
    fn or_else(self, other: impl FnOnce() -> Self) -> Self;
}

impl<T> OrElse for Fact<T> {
    fn or_else(self, other: impl FnOnce() -> Self) -> Self {
        match self {
            Fact::Known(_) => self,
            Fact::Unknown { .. } => match other() {
                known @ Fact::Known(_) => known,
                Fact::Unknown { .. } => self,
            },
        }
    }
}

/// The value of the first "name : value" line of /proc/cpuinfo.
fn cpuinfo_field(text: &str, name: &str) -> Option<String> {
    text.lines().find_map(|line| {
        let (key, value) = line.split_once(':')?;
        (key.trim() == name).then(|| value.trim().to_string())
    })
}

/// "always [madvise] never" -> "madvise".
fn bracketed(s: &str) -> String {
    s.split_whitespace().find_map(|w| w.strip_prefix('[').and_then(|w| w.strip_suffix(']'))).unwrap_or(s).to_string()
}

fn parse_bool(s: &str) -> Option<bool> {
    match s.trim() {
        "1" | "true" | "Y" | "y" => Some(true),
        "0" | "false" | "N" | "n" => Some(false),
        _ => None,
    }
}

fn parse_loadavg(text: &str) -> Option<[f64; 3]> {
    let mut it = text.split_whitespace().map(|v| v.parse::<f64>().ok());
    Some([it.next()??, it.next()??, it.next()??])
}

fn smt(root: &SysRoot, cores: u32, threads: u32) -> Fact<bool> {
    match root.read("/sys/devices/system/cpu/smt/active") {
        Ok(v) => parse_bool(&v).map(Fact::Known).unwrap_or_else(|| Fact::unknown(format!("smt/active is '{v}'"))),
        Err(_) if cores > 0 => Fact::Known(threads > cores),
        Err(e) => Fact::unknown(e.to_string()),
    }
}

fn boost(root: &SysRoot) -> Fact<bool> {
    if let Ok(v) = root.read("/sys/devices/system/cpu/cpufreq/boost") {
        if let Some(b) = parse_bool(&v) {
            return Fact::Known(b);
        }
    }
    match root.read("/sys/devices/system/cpu/intel_pstate/no_turbo") {
        Ok(v) => parse_bool(&v)
            .map(|no_turbo| Fact::Known(!no_turbo))
            .unwrap_or_else(|| Fact::unknown(format!("no_turbo is '{v}'"))),
        Err(_) => {
            Fact::unknown("neither cpufreq/boost nor intel_pstate/no_turbo exists (no cpufreq control, e.g. a VM)")
        }
    }
}

fn os_name(root: &SysRoot) -> Fact<String> {
    match root.read("/etc/os-release") {
        Ok(text) => text
            .lines()
            .find_map(|l| l.strip_prefix("PRETTY_NAME="))
            .map(|v| Fact::Known(v.trim_matches('"').to_string()))
            .unwrap_or_else(|| Fact::unknown("no PRETTY_NAME in /etc/os-release")),
        Err(e) => Fact::unknown(e.to_string()),
    }
}

/// "none" on bare metal (no hypervisor CPU flag), else the DMI vendor and
/// product of the virtual machine.
fn hypervisor(root: &SysRoot, flags: &Fact<String>) -> Fact<String> {
    let Some(flags) = flags.known() else {
        return Fact::unknown("no CPU flags to tell");
    };
    if !flags.split_whitespace().any(|f| f == "hypervisor") {
        return Fact::Known("none".into());
    }
    let dmi: Vec<String> = ["sys_vendor", "product_name"]
        .iter()
        .filter_map(|f| root.read(&format!("/sys/class/dmi/id/{f}")).ok())
        .filter(|s| !s.is_empty())
        .collect();
    Fact::Known(if dmi.is_empty() { "yes (vendor unknown)".into() } else { dmi.join(" ") })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_small_formats() {
        assert_eq!(bracketed("always [madvise] never"), "madvise");
        assert_eq!(parse_loadavg("0.52 0.58 0.59 1/467 12345"), Some([0.52, 0.58, 0.59]));
        assert_eq!(cpuinfo_field("vendor_id\t: GenuineIntel\nmodel\t\t: 143\n", "model"), Some("143".into()));
        assert_eq!(parse_bool("true"), Some(true));
        assert_eq!(parse_bool("0"), Some(false));
    }

    #[test]
    fn a_missing_root_gives_unknowns_with_reasons_not_a_crash() {
        let m = probe(&SysRoot::new("/nonexistent"), &Topology::default(), Fact::unknown("test"));
        assert!(
            matches!(&m.kernel, Fact::Unknown { unknown } if unknown.contains("/nonexistent/proc/sys/kernel/osrelease"))
        );
        assert!(m.cpu_model.known().is_none());
        assert!(m.cores.known().is_none());
    }

    #[test]
    fn the_live_machine_reports_its_kernel_and_memory() {
        let root = SysRoot::default();
        let topology = crate::topology::probe(&root).unwrap();
        let m = probe(&root, &topology, Fact::Known("rustc".into()));
        let release = std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap();
        assert_eq!(m.kernel.known().map(String::as_str), Some(release.trim()));
        assert!(*m.memory_bytes.known().unwrap() > 1 << 30);
        assert_eq!(*m.threads.known().unwrap() as usize, std::thread::available_parallelism().unwrap().get());
    }
}
