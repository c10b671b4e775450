//! A run's plan as text (`hwbench run --plan`): every point with its
//! estimate, each benchmark's and the total, what comes before the first
//! point, the budget's choices and the assumptions.

use hwbench_schema::units::{format_bytes, format_duration};
use hwbench_suites::plan::Plan;

/// The plan, for people.
pub fn text(plan: &Plan) -> String {
    let m = &plan.machine;
    let gpus = if m.gpus.is_empty() { "no GPU".to_string() } else { format!("GPU {}", m.gpus.join(", ")) };
    let repetitions =
        if plan.repeat == 1 { "1 repetition".to_string() } else { format!("{} repetitions", plan.repeat) };
    let mut out = format!(
        "plan: suite {}, {repetitions}, on {} CPUs, {} memory node(s), {} of memory, {} last-level cache, {gpus}\n",
        plan.suite,
        m.cpus,
        m.nodes,
        format_bytes(m.memory_bytes),
        format_bytes(m.llc_bytes)
    );
    for b in &plan.benchmarks {
        out.push_str(&format!(
            "  {:<28} {:>4} point(s) {:>14}\n",
            b.id,
            b.points.len(),
            format_duration(b.estimated_seconds)
        ));
        for p in &b.points {
            let params = hwbench_suites::params::describe(&p.params);
            out.push_str(&format!("      {params:<64} {:>8.1} s\n", p.estimated_seconds));
        }
    }
    let before = &plan.before_measuring;
    out.push_str(&format!(
        "before the first point: {:.1} s probing (measured), {:.1} s energy meters, {:.1} s opening GPUs\n",
        before.startup_seconds, before.energy_meters_seconds, before.gpu_open_seconds
    ));
    out.push_str(&format!(
        "estimated: {} ({:.0} s)\n",
        format_duration(plan.estimated_seconds),
        plan.estimated_seconds
    ));
    if let Some(budget) = &plan.budget {
        out.push_str(&format!(
            "budget: {} asked; the whole selection: {}",
            format_duration(budget.asked_seconds),
            format_duration(budget.unshortened_seconds)
        ));
        if budget.shortened.is_empty() {
            out.push_str("; nothing shortened\n");
        } else {
            out.push_str("; shortened:\n");
        }
        for s in &budget.shortened {
            let who = s.benchmark.as_deref().unwrap_or("every benchmark");
            out.push_str(&format!("  {who}: {} {} -> {} ({})\n", s.lever, s.from, s.to, s.why));
        }
        if !budget.fits {
            out.push_str(
                "  the shortest valid plan does not fit: the run stops before the first point past the budget\n",
            );
        }
    }
    out.push_str("assumptions (docs/METHODS.md, \"Plans and budgets\"):\n");
    for a in &plan.assumptions {
        out.push_str(&format!("  - {a}\n"));
    }
    out
}
