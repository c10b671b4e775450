//! `hwbench list`: benchmarks (with params and metrics) and suites.

use std::process::ExitCode;

use hwbench_suites::{registry, suites};

/// Prints the benchmark table and the suites.
pub fn run() -> anyhow::Result<ExitCode> {
    println!("Benchmarks\n");
    print!("{}", registry::help_text());
    println!("\nSuites (hwbench run --suite NAME; default quick)\n");
    for suite in suites::all() {
        let ids: Vec<&str> = suite.benchmarks.iter().map(|b| b.id.as_str()).collect();
        println!("{:<10} {} ({})", suite.name, suite.description, suite.duration);
        println!("{:<10} runs: {}", "", ids.join(", "));
    }
    Ok(ExitCode::SUCCESS)
}
