#!/usr/bin/env bash
# WADO-RS benchmark against Orthanc, same data, same run (bench/wado/README.md).
# Builds libs/, services/ and bench/wado with swc into .cache/wado-bench (with the run-time assets), then runs
# bench/wado/wado-bench.ts there with Node 24.
# Usage: bash bench/wado/run.sh [--fresh] [--seconds N]
set -euo pipefail
cd "$(dirname "$0")/../.."
out=.cache/wado-bench
rm -rf "$out"
node_modules/.bin/swc libs services bench/wado -d "$out" --config-file .swcrc --quiet \
  --ignore '**/*.spec.ts,**/*.integration-spec.ts,**/*.memory-spec.ts'
# The run-time assets scripts/build.mjs copies too: SQL migrations, JSON, WASM, proto of {libs,services}/*/{src,prisma}.
find libs services -type f \( -name '*.sql' -o -name '*.json' -o -name '*.wasm' -o -name '*.proto' \) \
  \( -path '*/src/*' -o -path '*/prisma/*' \) -not -path '*/node_modules/*' | while read -r asset; do
  mkdir -p "$out/$(dirname "$asset")"
  cp "$asset" "$out/$asset"
done
npx node "$out/bench/wado/wado-bench.js" "$@"
