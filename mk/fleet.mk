# Fleets (reports/src/fleet, reports/src/export): before the cargo tests,
# `make test` makes .build/duckdb/venv (duckdb from PyPI, pinned), which
# tests/export.rs reads hwbench's Parquet export back with; after them,
# headless Chromium loads the fleet report of a 40-node synthetic cohort
# (scripts/dev/fleet-browser-check). `make bench-fleet` measures the fleet
# view and the export over 1000 ci results (scripts/bench/fleet-scale) and
# the outlier test's error rates over 30 seeded cohorts
# (scripts/bench/fleet-calibration); not part of `make test`: the timings
# depend on the machine's load.
TEST_PACKAGES += python3 python3-venv chromium fonts-dejavu-core jq time
TEST_TARGETS += test-fleet-browser

.PHONY: duckdb-venv test-fleet-browser bench-fleet
test: duckdb-venv

duckdb-venv: deps-test
	@scripts/dev/duckdb-venv

test-fleet-browser: build deps-test
	@scripts/dev/fleet-browser-check $(HWBENCH)

bench-fleet: build deps-test
	@scripts/bench/fleet-scale $(HWBENCH)
	@scripts/bench/fleet-calibration $(HWBENCH)
