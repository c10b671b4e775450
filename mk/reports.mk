# Reports: headless Chromium loads a generated report in `make test`.
# fonts-dejavu-core: the SVG charts' text needs one sans-serif font to render.
TEST_PACKAGES += chromium fonts-dejavu-core
TEST_TARGETS += test-report-browser

.PHONY: test-report-browser
test-report-browser: build deps-test
	@scripts/dev/report-browser-check $(HWBENCH)
