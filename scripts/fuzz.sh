#!/usr/bin/env bash
# Run every libFuzzer target for FUZZ_SECONDS each, from its committed seed corpus (copied, so the committed
# corpus is not modified). A crash fails the run and leaves its input in fuzz-artifacts/.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build-fuzz}
seconds=${FUZZ_SECONDS:-60}
mkdir -p fuzz-artifacts
status=0
for fuzzer in "$build"/bin/Fuzz*; do
    [ -x "$fuzzer" ] || continue
    name=$(basename "$fuzzer")
    seeds="tests/fuzz/corpus/${name#Fuzz}"
    seeds=$(echo "$seeds" | tr '[:upper:]' '[:lower:]')
    work=$(mktemp -d)
    [ -d "$seeds" ] && cp -r "$seeds"/. "$work"/
    echo "fuzz: $name for ${seconds}s (seeds: $seeds)"
    if ! "$fuzzer" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
        -artifact_prefix=fuzz-artifacts/"$name"- "$work" 2>fuzz-artifacts/"$name".log; then
        echo "fuzz: $name FAILED; see fuzz-artifacts/$name.log" >&2
        tail -n 40 fuzz-artifacts/"$name".log >&2
        status=1
    else
        grep -E "stat::number_of_executed_units|stat::peak_rss_mb" fuzz-artifacts/"$name".log | sed "s/^/fuzz: $name /"
    fi
    rm -rf "$work"
done
exit $status
