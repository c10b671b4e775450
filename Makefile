# hwbench: `make run` (quick suite + report), `make test` (every test),
# `make bench` (criterion benches of the toolkit's own hot paths).
# Each area adds its Debian packages and test targets in mk/*.mk.

CARGO ?= cargo
HWBENCH := target/release/hwbench
# Debian packages every target needs; mk/*.mk append their own.
APT_PACKAGES := pkg-config libhwloc-dev libudev-dev mesa-vulkan-drivers
# Extra test targets run by `make test` after the cargo tests.
TEST_TARGETS :=

include $(sort $(wildcard mk/*.mk))

.PHONY: deps build run test test-cargo bench
deps:
	@scripts/dev/install-deps $(APT_PACKAGES)

build: deps
	$(CARGO) build --release --locked

run: build
	@scripts/dev/make-run

test: build
	$(CARGO) test --release --locked --workspace
	@for t in $(TEST_TARGETS); do $(MAKE) --no-print-directory $$t || exit 1; done

bench: build
	$(CARGO) bench --locked --workspace
