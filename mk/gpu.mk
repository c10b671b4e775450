# GPU (bench-suites/src/gpu): the cargo tests run real shaders on lavapipe,
# Mesa's Vulkan on the CPU (mesa-vulkan-drivers). `make peers-gpu` installs
# clpeak and PoCL (OpenCL on the CPU) and compares gpu.compute f32 on
# lavapipe with clpeak on the same CPU, alternating runs. Not part of
# `make test`: it takes minutes and its figures depend on the machine's load.
TEST_PACKAGES += mesa-vulkan-drivers

.PHONY: peers-gpu
peers-gpu: build
	@scripts/dev/install-deps clpeak pocl-opencl-icd python3
	@scripts/peers/clpeak-vs-hwbench
