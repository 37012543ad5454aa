#!/usr/bin/env bash
# Runs a benchmark of bench/: `npm run bench -- <name> [args]` runs bench/<name>/<name>-bench.ts.
# Benchmarks print numbers and ratios (against Orthanc where the scenario has it); they are run on demand,
# never by `npm test`. They compile with swc like the services, into .cache/bench-build.
set -euo pipefail
cd "$(dirname "$0")/.."
name=${1:?usage: npm run bench -- <name> [args]   (names: $(ls bench | grep -v support | tr '\n' ' '))}
shift
out=.cache/bench-build
rm -rf "$out"
node scripts/build.mjs
node_modules/.bin/swc libs bench conformance/support scripts/cluster -d "$out" --config-file .swcrc --quiet \
  --ignore '**/*.spec.ts,**/*.integration-spec.ts,**/*.memory-spec.ts'
node "$out/bench/$name/$name-bench.js" "$@"
