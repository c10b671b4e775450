# Slurm fleet runs (scripts/slurm/): `make test-slurm` starts munged,
# slurmctld and slurmd on localhost and runs a real two-task fleet job array
# and its report job through them (scripts/slurm/test-local).
TEST_PACKAGES += slurm-wlm munge jq util-linux
TEST_TARGETS += test-slurm

.PHONY: test-slurm
test-slurm: build deps-test
	@scripts/slurm/test-local
