# Emulated NUMA/CXL machines (scripts/vm/): `make test-vm` boots each
# topology in scripts/vm/topologies/ under QEMU TCG with a Debian kernel
# (downloaded once into .build/vm) and checks hwbench's topology, tiers,
# placement and matrix against what the topology file configures.
TEST_PACKAGES += qemu-system-x86 busybox-static cpio python3
TEST_TARGETS += test-vm

.PHONY: test-vm
test-vm: build deps-test
	@scripts/vm/test-vm
