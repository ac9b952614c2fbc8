# The two entry points of the README. Both install what is missing first.
BUILD_DIR ?= build
JOBS ?= 2
CMAKE_FLAGS ?=

.PHONY: deps build demo demo-kafka test test-sanitize test-fuzz bench compare-flink clean format format-check

deps:
	@bash scripts/install-deps.sh

build: deps
	@cmake -S . -B $(BUILD_DIR) -G Ninja -DCMAKE_BUILD_TYPE=Release $(CMAKE_FLAGS) >/dev/null
	@cmake --build $(BUILD_DIR) -j $(JOBS)

demo: build
	@$(BUILD_DIR)/bin/spate local trending_hashtags

demo-kafka: build
	@SPATE_BIN=$(BUILD_DIR)/bin/spate bash scripts/demo-kafka.sh

test: format-check build
	@bash scripts/kafka.sh fetch
	@cd $(BUILD_DIR) && ctest --output-on-failure -j $(JOBS)

# The unit-level suites under ASan + UBSan in build-sanitize/ (CI runs it after `test`).
test-sanitize: deps
	@bash scripts/kafka.sh fetch
	@JOBS=$(JOBS) bash scripts/sanitize.sh

# The libFuzzer harnesses of fuzz/ with clang in build-fuzz/, 30 s each (CI runs it after
# test-sanitize; FUZZ_SECONDS=3600 scripts/fuzz.sh for an hour each).
test-fuzz: deps
	@JOBS=$(JOBS) FUZZ_SECONDS=$${FUZZ_SECONDS:-30} bash scripts/fuzz.sh

bench: build
	@bash scripts/run-benchmarks.sh

# spate and Apache Flink (bench/flink/, Maven) side by side on the same workloads; rewrites the
# table in docs/benchmarks.md; the script builds what it runs under the build lock. Options:
# make compare-flink ARGS="--pairs 5".
compare-flink: deps
	@BUILD_DIR=$(BUILD_DIR) bash scripts/compare-flink.sh $(ARGS)

format:
	@clang-format -i $$(git ls-files '*.cpp' '*.hpp')

# Every file follows .clang-format (CI runs this through `make test`).
format-check: deps
	@clang-format --dry-run -Werror $$(git ls-files '*.cpp' '*.hpp')

clean:
	@rm -rf $(BUILD_DIR) build-sanitize build-fuzz
