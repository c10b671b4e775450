# Fleets (reports/src/fleet, reports/src/export): before the cargo tests,
# `make test` makes .build/duckdb/venv (duckdb from PyPI, pinned), which
# tests/export.rs reads hwbench's Parquet export back with; after them,
# headless Chromium loads the fleet report of a 40-node synthetic cohort
# (scripts/dev/fleet-browser-check). `make bench-fleet` measures the fleet
# view and the export over 1000 ci results (scripts/bench/fleet-scale) and
# the outlier test's error rates over 30 seeded cohorts
# (scripts/bench/fleet-calibration); not part of `make test`: the timings
# depend on the machine's load. `make fleet-power` measures how often the
# fleet view finds faults of 10 to 40% injected into cohorts made from real
# ci runs of this machine, and how often it flags sound nodes
# (scripts/bench/fleet-power): it first runs the ci suite until
# .build/fleet-power/runs holds FLEET_POWER_RUNS results (5 to 10 minutes
# each on this 2-core VM at a load average of 9 to 16), then judges; HWBENCH_BEFORE=path/to/hwbench
# judges the same cohorts with another build beside this one. Not part of
# `make test`: it measures this machine.
TEST_PACKAGES += python3 python3-venv chromium fonts-dejavu-core jq time
TEST_TARGETS += test-fleet-browser

FLEET_POWER_RUNS ?= 10

.PHONY: duckdb-venv test-fleet-browser bench-fleet fleet-power
test: duckdb-venv

duckdb-venv: deps-test
	@scripts/dev/duckdb-venv

test-fleet-browser: build deps-test
	@scripts/dev/fleet-browser-check $(HWBENCH)

bench-fleet: build deps-test
	@scripts/bench/fleet-scale $(HWBENCH)
	@scripts/bench/fleet-calibration $(HWBENCH)

fleet-power: build deps-run deps-test
	@scripts/bench/fleet-power $(HWBENCH) $(HWBENCH_BEFORE) --make $(FLEET_POWER_RUNS)
