//! Whole-node power from the BMC through `ipmitool dcmi power reading`
//! (whole watts, slow to read): off unless asked for.

use std::process::Command;
use std::time::Duration;

use hwbench_schema::DomainRole;

use super::{Discovered, Domain, Meter, Reading, Source};

/// The node's power as the BMC reports it.
struct Ipmi;

/// Reads the node's power once; unavailable when ipmitool or the BMC is
/// missing, with the reason.
pub fn discover() -> Discovered {
    read_node_power()?;
    Ok(Source { name: "ipmi", domains: vec![Domain::new("node", DomainRole::System)], meter: Box::new(Ipmi) })
}

fn read_node_power() -> Result<f64, String> {
    let out = Command::new("ipmitool").args(["dcmi", "power", "reading"]).output().map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => "ipmitool is not installed (apt-get install ipmitool)".to_string(),
        _ => format!("ipmitool: {e}"),
    })?;
    if !out.status.success() {
        let stderr = String::from_utf8_lossy(&out.stderr);
        return Err(format!(
            "ipmitool dcmi power reading failed ({}): needs a BMC with DCMI, its driver (modprobe ipmi_si \
             ipmi_devintf) and root",
            stderr.lines().next().unwrap_or("no message").trim()
        ));
    }
    parse(&String::from_utf8_lossy(&out.stdout))
}

/// The instantaneous reading, W, from `ipmitool dcmi power reading` output.
pub fn parse(text: &str) -> Result<f64, String> {
    let line = text
        .lines()
        .find(|l| l.trim_start().starts_with("Instantaneous power reading:"))
        .ok_or("ipmitool output has no 'Instantaneous power reading' line")?;
    let value = line.split(':').nth(1).unwrap_or("").trim().trim_end_matches("Watts").trim();
    value.parse::<f64>().map_err(|e| format!("ipmitool power reading {value:?}: {e}"))
}

impl Meter for Ipmi {
    fn read(&mut self) -> Vec<Result<Reading, String>> {
        vec![read_node_power().map(Reading::Power)]
    }

    fn poll_interval(&self) -> Duration {
        Duration::from_secs(1)
    }
}

#[cfg(test)]
mod tests {
    use super::parse;

    #[test]
    fn parses_the_instantaneous_reading() {
        let text = "\n    Instantaneous power reading:                   220 Watts\n    \
                    Minimum during sampling period:                 76 Watts\n    \
                    Average power reading over sample period:      218 Watts\n    \
                    Power reading state is:                   activated\n";
        assert_eq!(parse(text), Ok(220.0));
        assert!(parse("Power reading state is: deactivated").unwrap_err().contains("no 'Instantaneous"));
        assert!(parse("Instantaneous power reading: n/a Watts").unwrap_err().contains("\"n/a\""));
    }
}
