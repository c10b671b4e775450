//! Ctrl-C: the first stops the run after the current sample (the result is
//! saved with status "interrupted"); a second exits at once.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

/// Installs the handler and returns the flag the harness polls.
pub fn install() -> anyhow::Result<Arc<AtomicBool>> {
    let stop = Arc::new(AtomicBool::new(false));
    let flag = stop.clone();
    ctrlc::set_handler(move || {
        if flag.swap(true, Ordering::SeqCst) {
            eprintln!("\nhwbench: interrupted twice, exiting without saving");
            std::process::exit(i32::from(crate::exit::INTERRUPTED));
        }
        eprintln!("\nhwbench: interrupted; finishing the current sample and saving what was measured (Ctrl-C again to quit now)");
    })?;
    Ok(stop)
}
