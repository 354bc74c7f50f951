# The two commands of the README, and the pieces they are made of.
.PHONY: demo test build setup clean

# A fixture pull-request webhook taken end to end through the real pieces (PR=name picks the fixture).
demo:
	@scripts/demo.sh

# Everything the tests need, then the whole suite.
test:
	@scripts/test.sh

build:
	swift build

setup:
	@scripts/setup.sh

clean:
	rm -rf .build .venv
