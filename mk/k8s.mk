# Kubernetes fleet manifests (scripts/k8s/): validated offline against the
# Kubernetes JSON schemas; kubernetes-validate comes from PyPI into a venv.
APT_PACKAGES += python3 python3-venv
TEST_TARGETS += test-k8s

.PHONY: test-k8s
test-k8s: deps
	@scripts/k8s/test-manifests
