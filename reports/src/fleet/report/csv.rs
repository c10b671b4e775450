//! The fleet's data files: every node, every node's every judged figure,
//! every cohort's distributions. The pages link them instead of listing a
//! thousand nodes.

use super::super::Fleet;
use crate::writers::csv::text;

/// nodes.csv: one row per node.
pub fn nodes(fleet: &Fleet) -> Vec<u8> {
    let mut flagged = vec![0usize; fleet.nodes.len()];
    for t in fleet.judgement.tests.iter().filter(|t| t.flagged) {
        flagged[t.node] += 1;
    }
    let mut out =
        String::from("node,name,run_id,label,file,cohort,measured_metrics,unmeasured_records,flagged_metrics\n");
    for (i, n) in fleet.nodes.iter().enumerate() {
        out += &[
            (i + 1).to_string(),
            text(&n.name),
            text(&n.run_id),
            text(n.label.as_deref().unwrap_or("")),
            text(&n.path.display().to_string()),
            (n.cohort + 1).to_string(),
            n.values.len().to_string(),
            n.unmeasured.to_string(),
            flagged[i].to_string(),
        ]
        .join(",");
        out.push('\n');
    }
    out.into_bytes()
}

/// values.csv: one row per (node, judged metric) test.
pub fn values(fleet: &Fleet) -> Vec<u8> {
    let j = &fleet.judgement;
    let mut out = String::from(
        "run_id,cohort,benchmark,params,metric,unit,value,cohort_median,change,robust_z,p_value,q_value,repetitions_counted,repetitions_beyond,flagged,evidence\n",
    );
    for t in &j.tests {
        let dist = &j.distributions[t.cohort][t.distribution];
        let info = &fleet.metrics[dist.metric as usize];
        out += &[
            text(&fleet.nodes[t.node].run_id),
            (t.cohort + 1).to_string(),
            text(&info.key.id),
            text(&info.key.params),
            text(&info.key.metric),
            text(&info.unit),
            t.value.to_string(),
            dist.summary.median.to_string(),
            t.change.to_string(),
            t.z.to_string(),
            t.p.to_string(),
            t.q.to_string(),
            t.persistence.map(|p| p.counted.to_string()).unwrap_or_default(),
            t.persistence.map(|p| p.beyond.to_string()).unwrap_or_default(),
            t.flagged.to_string(),
            if t.discovery { t.evidence().as_str() } else { "" }.to_string(),
        ]
        .join(",");
        out.push('\n');
    }
    out.into_bytes()
}

/// distributions.csv: one row per (cohort, metric).
pub fn distributions(fleet: &Fleet) -> Vec<u8> {
    let mut out = String::from(
        "cohort,benchmark,params,metric,unit,n,min,p5,q1,median,q3,p95,max,mad,relative_spread,verdict,bound_low,bound_high,nodes_with_repetitions,detectable_shift,detectable_shift_every_repetition,flagged,intermittent\n",
    );
    for (c, list) in fleet.judgement.distributions.iter().enumerate() {
        for d in list {
            let info = &fleet.metrics[d.metric as usize];
            let s = &d.summary;
            let optional = |v: Option<f64>| v.map(|v| v.to_string()).unwrap_or_default();
            out += &[
                (c + 1).to_string(),
                text(&info.key.id),
                text(&info.key.params),
                text(&info.key.metric),
                text(&info.unit),
                s.n.to_string(),
                s.min.to_string(),
                s.p5.to_string(),
                s.q1.to_string(),
                s.median.to_string(),
                s.q3.to_string(),
                s.p95.to_string(),
                s.max.to_string(),
                s.mad.to_string(),
                optional(s.relative_spread()),
                d.verdict.as_str().to_string(),
                optional(d.bounds.map(|b| b.0)),
                optional(d.bounds.map(|b| b.1)),
                d.repeated.to_string(),
                optional(d.detectable.map(|r| r.headline)),
                optional(d.detectable.and_then(|r| r.every_repetition)),
                d.flagged.to_string(),
                d.intermittent.to_string(),
            ]
            .join(",");
            out.push('\n');
        }
    }
    out.into_bytes()
}
