#!/usr/bin/env python3
"""Tests of scripts/ci/gate-quality on synthetic runs (`make test-gate-quality`):
its doctoring and arithmetic, and a whole pass through the real
`hwbench compare` over stored runs of known run-to-run noise. Seeded."""

import contextlib
import copy
import importlib.machinery
import importlib.util
import io
import json
import math
import os
import random
import sys
import tempfile
import unittest

# Loading the script leaves no __pycache__ in the source tree.
sys.dont_write_bytecode = True

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
HWBENCH = os.environ.get("HWBENCH", os.path.join(ROOT, "target/release/hwbench"))


def load_script():
    path = os.path.join(ROOT, "scripts/ci/gate-quality")
    loader = importlib.machinery.SourceFileLoader("gate_quality", path)
    spec = importlib.util.spec_from_loader("gate_quality", loader)
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)
    return module


gq = load_script()


def metric(name, unit, better, centre, sigma, rng, reps=5, samples=10):
    """A metric measured `reps` times: each repetition's centre lognormal
    around `centre` by `sigma`, its 10 samples 1% around that, its figure the
    median of them; the value the median of the figures."""
    values, all_samples = [], []
    for _ in range(reps):
        c = centre * math.exp(rng.gauss(0, sigma))
        mine = sorted(c * math.exp(rng.gauss(0, 0.01)) for _ in range(samples))
        values.append((mine[samples // 2 - 1] + mine[samples // 2]) / 2)
        all_samples += mine
    figures = sorted(values)
    return {
        "name": name,
        "unit": unit,
        "value": figures[reps // 2],
        "statistic": "median",
        "samples": all_samples,
        "better": better,
        "repetitions": [{"value": v, "sample_count": samples} for v in values],
    }


def run_doc(run_id, seed, sigma=0.02):
    with open(os.path.join(ROOT, "tests/fixtures/results/minimal-v1.json")) as f:
        doc = json.load(f)
    rng = random.Random(seed)
    doc["run"]["id"] = run_id
    doc["run"]["repeat"] = 5
    doc["benchmarks"] = [
        {"id": "memory.bandwidth", "params": {"kernel": "triad"}, "status": "ok",
         "metrics": [metric("bandwidth", "GB/s", "higher", 12.0, sigma, rng)]},
        {"id": "memory.latency", "params": {"bytes": 4096}, "status": "ok",
         "metrics": [metric("latency", "ns", "lower", 1.5, sigma, rng)]},
        {"id": "gpu.compute", "params": {"precision": "f32"}, "status": "ok",
         "metrics": [metric("throughput", "GFLOP/s", "higher", 300.0, sigma, rng)]},
        {"id": "gpu.memory", "params": {"kernel": "copy"}, "status": "skipped", "reason": "no GPU adapter", "metrics": []},
    ]
    return doc


class Doctoring(unittest.TestCase):
    def test_every_value_sample_and_repetition_of_the_selected_metrics_only(self):
        doc = run_doc("a", 1)
        before = copy.deepcopy(doc)
        raised = gq.doctor(doc, "bandwidth", 1.25)
        self.assertEqual(doc, before, "the input is left alone")
        new, old = raised["benchmarks"][0]["metrics"][0], before["benchmarks"][0]["metrics"][0]
        self.assertAlmostEqual(new["value"], old["value"] * 1.25, places=12)
        for a, b in zip(new["samples"], old["samples"]):
            self.assertAlmostEqual(a, b * 1.25, places=12)
        for a, b in zip(new["repetitions"], old["repetitions"]):
            self.assertAlmostEqual(a["value"], b["value"] * 1.25, places=12)
            self.assertEqual(a["sample_count"], b["sample_count"])
        self.assertEqual(raised["benchmarks"][1:], before["benchmarks"][1:], "latency and GFLOP/s untouched")
        lowered = gq.doctor(doc, "latency", 0.9)
        self.assertAlmostEqual(lowered["benchmarks"][1]["metrics"][0]["value"], old_value(before, 1) * 0.9, places=12)
        self.assertEqual(lowered["benchmarks"][0], before["benchmarks"][0])

    def test_rows_are_matched_by_the_same_selection(self):
        row = {"metric": "bandwidth_median", "unit": "GB/s", "better": "higher"}
        self.assertTrue(gq.doctored_row(row, "bandwidth"))
        self.assertFalse(gq.doctored_row(row, "latency"))
        self.assertTrue(gq.doctored_row({"metric": "latency_device", "unit": "us", "better": "lower"}, "latency"))
        self.assertFalse(gq.doctored_row({"metric": "energy_per_op", "unit": "J/GB", "better": "lower"}, "latency"))

    def test_rates(self):
        self.assertEqual(gq.rate(3, 40), "3 of 40 (7.5%)")
        self.assertEqual(gq.rate(0, 0), "0 of 0 (n/a)")

    def test_tally_counts_gate_failures_calls_and_detections(self):
        tally = gq.Tally()
        row = lambda metric, unit, better, verdict: {"metric": metric, "unit": unit, "better": better, "verdict": verdict}
        tally.add({"fails_gate": True, "gated": 2, "regressed": 1, "improved": 0, "unstable": 1, "rows": [
            row("bandwidth", "GB/s", "higher", "regressed"),
            row("bandwidth_median", "GB/s", "higher", "unstable"),
            row("latency", "ns", "lower", "unchanged"),
        ]}, "bandwidth")
        f = tally.figures()
        self.assertEqual((f["comparisons"], f["failed"], f["gated"], f["called"], f["unstable"], f["rows"]), (1, 1, 2, 1, 1, 3))
        self.assertEqual((f["target"], f["target_gated"], f["detected"]), (2, 1, 1))


def old_value(doc, index):
    return doc["benchmarks"][index]["metrics"][0]["value"]


@unittest.skipUnless(os.access(HWBENCH, os.X_OK), f"{HWBENCH} not built")
class WholePass(unittest.TestCase):
    def test_stored_runs_of_known_noise(self):
        with tempfile.TemporaryDirectory() as work:
            runs = os.path.join(work, "runs")
            os.makedirs(runs)
            earlier = os.path.join(work, "earlier")
            os.makedirs(earlier)
            for k in range(4):
                with open(os.path.join(runs, f"run{k}.json"), "w") as f:
                    json.dump(run_doc(f"run{k}", 100 + k), f)
                with open(os.path.join(earlier, f"earlier{k}.json"), "w") as f:
                    json.dump(run_doc(f"earlier{k}", 200 + k), f)
            figures_path = os.path.join(work, "figures.json")
            said = io.StringIO()
            with contextlib.redirect_stdout(said):
                gq.main(["--hwbench", HWBENCH, "--from", runs, "--out", work, "--json", figures_path,
                         "--baseline-runs", "3", "--noise-model", earlier])
            with open(figures_path) as f:
                figures = json.load(f)
        text = said.getvalue()
        unchanged = figures["unchanged"]
        # 4 runs: 12 ordered pairs of 3 gated metrics each (2% noise, threshold 10%).
        self.assertEqual((unchanged["comparisons"], unchanged["gated"]), (12, 36))
        self.assertEqual((unchanged["failed"], unchanged["called"]), (0, 0), text)
        # +25% on bandwidth: the one bandwidth metric, called in every pair.
        b25 = figures["bandwidth +25%"]
        self.assertEqual((b25["target"], b25["target_gated"], b25["detected"], b25["failed"]), (12, 12, 12, 12), text)
        # +10% (the new run 9.1% lower) and -10% on latency (11.1% slower)
        # straddle the 10% threshold: some called, each one failing its pair's
        # gate, as printed.
        for name in ["bandwidth +10%", "latency -10%"]:
            f = figures[name]
            self.assertEqual((f["comparisons"], f["target"]), (12, 12))
            self.assertEqual(f["failed"], f["detected"], text)
            self.assertIn(f"doctored {name}: gate failed in {gq.rate(f['failed'], 12)} comparisons", text)
        self.assertLess(figures["bandwidth +10%"]["detected"], 12)
        model = figures["noise_model"]
        self.assertEqual(model["bandwidth +25%"]["detected"], 1, text)
        self.assertIn("unchanged pairs: gate failed in 0 of 12 (0.0%) comparisons (false-alarm rate)", text)
        self.assertIn("noise model of the first 3 runs, unchanged: gate failed in 0 of 1 (0.0%)", text)
        # The 4 stored runs as one baseline, each of the 4 runs judged.
        stored = figures["stored_noise_model"]
        self.assertEqual((stored["unchanged"]["comparisons"], stored["unchanged"]["failed"]), (4, 0), text)
        self.assertEqual(stored["bandwidth +25%"]["detected"], 4, text)
        self.assertIn(f"noise model of 4 runs in {earlier}, unchanged: gate failed in 0 of 4 (0.0%)", text)


if __name__ == "__main__":
    unittest.main()
