# Kubernetes fleet manifests (scripts/k8s/): checked offline against the
# Kubernetes JSON schemas (kubernetes-validate from PyPI, in a venv under
# .build/k8s) and rehearsed here with the real hwbench.
TEST_PACKAGES += python3 python3-venv
TEST_TARGETS += test-k8s

.PHONY: test-k8s
test-k8s: build deps-test
	@scripts/k8s/test-manifests
