# The CI gate measured as a benchmark (scripts/ci/gate-quality): `make
# gate-quality` runs the ci suite GATE_RUNS times here, then prints the
# false-alarm rate of compare on unchanged runs, the detection rate of
# doctored baselines (bandwidth +10% and +25%, latency -10%), the same against
# a noise model of the first GATE_BASELINE_RUNS runs, against the runs in
# GATE_NOISE_MODEL (a directory of earlier runs, when set), and GATE_CHECKS
# real `hwbench check` runs with their exit codes and times. Not part of `make
# test`: it measures for many minutes and its figures depend on the machine.
# `make test` runs test-gate-quality: the script's doctoring and arithmetic on
# synthetic runs through the real `hwbench compare`.
TEST_PACKAGES += python3
TEST_TARGETS += test-gate-quality

GATE_RUNS ?= 5
GATE_CHECKS ?= 5
GATE_BASELINE_RUNS ?= 3
GATE_THRESHOLD ?= 10
GATE_OUT ?= target/gate-quality
GATE_NOISE_MODEL ?=

.PHONY: gate-quality test-gate-quality
gate-quality: build
	@mkdir -p $(GATE_OUT)
	scripts/ci/gate-quality --hwbench $(HWBENCH) --runs $(GATE_RUNS) --checks $(GATE_CHECKS) \
		--baseline-runs $(GATE_BASELINE_RUNS) --threshold $(GATE_THRESHOLD) \
		$(if $(GATE_NOISE_MODEL),--noise-model $(GATE_NOISE_MODEL)) \
		--out $(GATE_OUT) --json $(GATE_OUT)/figures.json

test-gate-quality:
	@HWBENCH=$(HWBENCH) python3 scripts/ci/test_gate_quality.py
