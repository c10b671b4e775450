# Reports: headless Chromium loads a generated report in `make test`.
# fonts-dejavu-core: the SVG charts' text needs one sans-serif font to render;
# jq makes reference copies of a fixture, python3 measures the first screen.
TEST_PACKAGES += chromium fonts-dejavu-core jq python3
TEST_TARGETS += test-report-browser

.PHONY: test-report-browser
test-report-browser: build deps-test
	@scripts/dev/report-browser-check $(HWBENCH)
