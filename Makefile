# The two commands of the README, and the pieces they are made of.
.PHONY: demo test unit build setup clean reliability bench

# A fixture pull request reviewed end to end through the real pieces (PR=name picks the fixture;
# MODEL=local reviews with a real local model instead of the built-in rules).
demo:
	@MODEL=$(MODEL) PR=$(PR) scripts/demo.sh

# Everything the tests need, then the whole suite.
test:
	@scripts/test.sh

# The unit tests alone: pure logic and the I/O clients on scripted transports; no redis-server,
# no built binaries, seconds to run. `make test` runs them too, with the integration tests.
unit:
	swift build --build-tests
	swift test --skip-build --filter 'ReviewCoreTests|ReviewUnitTests'

# The reliability suite at full size: 50 crash trials, 10,000 fuzzed deliveries and diffs, outages.
reliability:
	@scripts/setup.sh
	swift build --build-tests
	RELIABILITY_SCALE=10 UPSTASH_PYTHON="$$PWD/.venv/bin/python" swift test --skip-build --filter ReliabilityTests

# Benchmarks side by side with their anchors; prints a table, writes bench/results/latest.json.
bench:
	@scripts/bench.sh

build:
	swift build

setup:
	@scripts/setup.sh

clean:
	rm -rf .build .venv
