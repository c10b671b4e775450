# hwbench: `make run` (quick suite + report), `make test` (every test),
# `make bench` (criterion benches of the toolkit's own hot paths).
# Each area adds the Debian packages its tests need and its test targets in
# mk/*.mk. Missing packages are installed with apt-get (as root, else sudo).

CARGO ?= cargo
HWBENCH := target/release/hwbench
# Debian packages compiling hwbench needs (hwloc's static library links
# libudev). hwloc itself, at least 2.10, comes from scripts/dev/hwloc-static
# (bookworm-backports on Debian 12), which stages its static library.
BUILD_PACKAGES := pkg-config libudev-dev
# What `make run` adds: lavapipe, Mesa's Vulkan on the CPU, so the GPU
# benchmarks have an adapter on a machine without a GPU driver.
RUN_PACKAGES := mesa-vulkan-drivers
# What `make test` adds; mk/*.mk append their own.
TEST_PACKAGES :=
# Extra test targets run by `make test` after the cargo tests.
TEST_TARGETS :=

include $(sort $(wildcard mk/*.mk))

.PHONY: deps deps-build deps-run deps-test build run test test-cargo bench
deps: deps-build deps-run deps-test
deps-build:
	@scripts/dev/install-deps $(BUILD_PACKAGES)
	@scripts/dev/hwloc-static
deps-run:
	@scripts/dev/install-deps $(RUN_PACKAGES)
deps-test:
	@scripts/dev/install-deps $(sort $(TEST_PACKAGES))

build: deps-build
	$(CARGO) build --release --locked

run: build deps-run
	@scripts/dev/make-run

test: build deps-test
	$(CARGO) test --release --locked --workspace
	@for t in $(TEST_TARGETS); do $(MAKE) --no-print-directory $$t || exit 1; done

bench: build
	$(CARGO) bench --locked --workspace
