//! Sampling GPU work: the harness's calibration (to at least 100 ms per
//! sample), then N samples with the first dropped, each timed both on the
//! host and by timestamps; and the metrics made from them.

use std::collections::BTreeMap;
use std::time::Duration;

use hwbench_schema::{Better, Metric};

use super::pass::TimedPass;
use crate::error::BenchError;
use crate::harness::{best_metric, median_metric, SamplerConfig};
use crate::session::Session;

/// No GPU sample is shorter than this (vkpeak and clpeak use 100-300 ms).
pub const MIN_SAMPLE: Duration = Duration::from_millis(100);

/// The session's sampler with the target raised to [`MIN_SAMPLE`].
pub fn sampler(session: &Session) -> SamplerConfig {
    config(&session.sampler)
}

/// `run` with the target raised to [`MIN_SAMPLE`].
pub fn config(run: &SamplerConfig) -> SamplerConfig {
    SamplerConfig { target: run.target.max(MIN_SAMPLE), ..*run }
}

/// The kept samples of one timed pipeline, in seconds per sample.
#[derive(Debug, Clone)]
pub struct GpuSamples {
    /// Dispatches per sample.
    pub iterations: u64,
    /// Host time of each sample: submit to finished.
    pub host: Vec<f64>,
    /// Device time of each sample by timestamps, when the device has them.
    pub device: Option<Vec<f64>>,
    /// Nanoseconds per timestamp tick, when timestamps were taken.
    pub timestamp_period_ns: Option<f64>,
    /// True when timestamps were taken but some sample read zero or less.
    pub timestamps_unusable: bool,
}

/// Calibrates the dispatches per sample with `cfg`, then takes
/// `cfg.samples` samples in one sampling phase of the session and drops
/// the first.
pub fn sample(session: &mut Session, cfg: SamplerConfig, pass: &mut TimedPass) -> Result<GpuSamples, BenchError> {
    let iterations = session.calibrate(cfg, pass)?;
    let mut host = Vec::with_capacity(cfg.runs());
    let mut device = Vec::with_capacity(cfg.runs());
    session.phase(pass, iterations, |pass, took| {
        host.push(took.as_secs_f64());
        if let Some(d) = pass.device {
            device.push(d.as_secs_f64());
        }
        host.len() < cfg.runs()
    })?;
    host.remove(0);
    let device = (device.len() == host.len() + 1).then(|| device.split_off(1));
    // Timestamps that read zero or run backwards are not used.
    let timestamps_unusable = device.as_ref().is_some_and(|d| d.iter().any(|&s| s <= 0.0));
    let device = device.filter(|_| !timestamps_unusable);
    Ok(GpuSamples { iterations, host, device, timestamp_period_ns: pass.timestamp_period_ns(), timestamps_unusable })
}

/// How a headline figure is drawn from its samples.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Headline {
    /// The median (robust; compute throughput, latency).
    Median,
    /// The best sample (BabelStream and STREAM report bandwidth so).
    Best,
}

impl GpuSamples {
    /// The samples the headline uses: timestamps when taken, else host.
    pub fn primary(&self) -> &[f64] {
        self.device.as_deref().unwrap_or(&self.host)
    }

    /// `f(seconds)` of each primary sample.
    pub fn primary_values(&self, f: impl Fn(f64) -> f64) -> Vec<f64> {
        self.primary().iter().map(|&s| f(s)).collect()
    }

    /// A metric named `name` from the primary samples and, when those are
    /// timestamps, `<name>_host` from the host samples.
    pub fn metrics(
        &self,
        name: &str,
        unit: &str,
        better: Better,
        headline: Headline,
        f: impl Fn(f64) -> f64,
    ) -> Vec<Metric> {
        let make = |n: &str, samples: Vec<f64>| match headline {
            Headline::Median => median_metric(n, unit, samples, better),
            Headline::Best => best_metric(n, unit, samples, better),
        };
        let mut out = vec![make(name, self.primary_values(&f))];
        if self.device.is_some() {
            out.push(make(&format!("{name}_host"), self.host.iter().map(|&s| f(s)).collect()));
        }
        out
    }

    /// Facts about the timing for a record's `info`.
    pub fn info(&self) -> BTreeMap<String, serde_json::Value> {
        let mut info = BTreeMap::new();
        let timing = if self.device.is_some() {
            "timestamps at the start and end of one compute pass; _host metrics: host time from submit to finished"
        } else if self.timestamps_unusable {
            "host time from submit to finished (the device's timestamps read zero or ran backwards: not used)"
        } else {
            "host time from submit to finished (no timestamp queries on this device)"
        };
        info.insert("timing".into(), timing.into());
        info.insert("dispatches_per_sample".into(), self.iterations.into());
        if let Some(period) = self.timestamp_period_ns {
            info.insert("timestamp_period_ns".into(), period.into());
        }
        info
    }
}
