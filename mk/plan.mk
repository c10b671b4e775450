# Plans and budgets (bench-suites/src/cost.rs, plan.rs, budget.rs): `make
# plan-accuracy` runs `hwbench run --plan` against the real run for the
# quick, ci and tiers-ci suites here and tiers-ci in a QEMU guest, then
# budgeted runs of the memory and tiers-ci suites, and prints estimates,
# times and ratios (scripts/bench/plan-accuracy). Not part of `make test`:
# the timings depend on the machine's load.
.PHONY: plan-accuracy
plan-accuracy: build deps-test
	@scripts/bench/plan-accuracy $(HWBENCH)
