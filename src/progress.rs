//! The progress bar on stderr while measuring: hidden when stderr is not a
//! terminal or with --quiet. With a budget it shows the time left of it.

use std::io::IsTerminal;
use std::time::{Duration, Instant};

use hwbench_schema::units::format_duration;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressState, ProgressStyle};

/// A bar over the planned points; `budget` is the budget's seconds and the
/// seconds of the run already spent when the bar starts.
pub fn bar(total: usize, quiet: bool, budget: Option<(f64, f64)>) -> ProgressBar {
    let bar = ProgressBar::new(total as u64);
    if quiet || !std::io::stderr().is_terminal() {
        bar.set_draw_target(ProgressDrawTarget::hidden());
    }
    let style = match budget {
        None => ProgressStyle::with_template("{elapsed_precise} [{bar:30}] {pos}/{len} {msg}"),
        Some((seconds, spent)) => {
            let started = Instant::now();
            bar.enable_steady_tick(Duration::from_secs(1));
            ProgressStyle::with_template("{elapsed_precise} [{bar:30}] {pos}/{len} {left} {msg}").map(|style| {
                style.with_key("left", move |_: &ProgressState, w: &mut dyn std::fmt::Write| {
                    let left = seconds - spent - started.elapsed().as_secs_f64();
                    let _ = write!(w, "({} left of {})", format_duration(left), format_duration(seconds));
                })
            })
        }
    };
    bar.set_style(style.expect("static template").progress_chars("=> "));
    bar
}
