# The two commands of the README: `make run` and `make test`. Both install what is missing first.
BUILD   ?= build
FUZZDIR ?= build-fuzz
JOBS    ?= $(shell nproc)
FUZZ_SECONDS ?= 60

.PHONY: all deps build run test fuzz fuzz-build bench format clean

all: build

deps:
	@bash scripts/install-deps.sh

build: deps
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo
	cmake --build $(BUILD) -j$(JOBS)

run: build
	@bash scripts/run.sh

test: build fuzz-build
	cd $(BUILD) && ctest --output-on-failure -j$(JOBS)
	@FUZZ_SECONDS=$(FUZZ_SECONDS) bash scripts/fuzz.sh $(FUZZDIR)

fuzz-build: deps
	CC=clang CXX=clang++ cmake -S . -B $(FUZZDIR) -DDAPSCOPE_FUZZ=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo
	cmake --build $(FUZZDIR) -j$(JOBS)

fuzz: fuzz-build
	@FUZZ_SECONDS=$${FUZZ_SECONDS:-600} bash scripts/fuzz.sh $(FUZZDIR)

bench: build
	@bash scripts/bench.sh

format:
	clang-format -i $$(git ls-files '*.cpp' '*.hpp')

clean:
	rm -rf $(BUILD) $(FUZZDIR)
