# LLM-serving view (gpu.roofline, cpu.roofline, gpu.gemm, gpu.gemv, gpu.transfer
# host_node; the llm suite): `make test-llm-report` measures a small selection
# on lavapipe and loads its report in headless Chromium
# (scripts/dev/llm-report-check; about 40 s on a 2-core VM). Not part of
# `make test`: scripts/device/gpu-check, the one-call check of a machine with
# an NVIDIA GPU (suites gpu, llm and energy beside nvidia-smi and the
# vendor's published peaks).
TEST_PACKAGES += chromium
TEST_TARGETS += test-llm-report

.PHONY: test-llm-report
test-llm-report: build deps-test
	@scripts/dev/llm-report-check $(HWBENCH)
