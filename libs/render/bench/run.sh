#!/usr/bin/env bash
# Builds libs/ with swc into .cache/render-bench (with the SQL migrations and other run-time assets) and runs the
# render benchmark there with Node 24.
# Usage: bash libs/render/bench/run.sh [seconds per measurement, default 5] [renderings at once]
set -euo pipefail
cd "$(dirname "$0")/../../.."
out=.cache/render-bench
rm -rf "$out"
node_modules/.bin/swc libs -d "$out" --config-file .swcrc --quiet \
  --ignore '**/*.spec.ts,**/*.integration-spec.ts,**/*.memory-spec.ts'
for asset in libs/*/prisma/migrations/*/*.sql $(find libs/*/src -name '*.json' -o -name '*.wasm' -o -name '*.proto'); do
  mkdir -p "$out/$(dirname "$asset")"
  cp "$asset" "$out/$asset"
done
npx node "$out/libs/render/bench/render-bench.js" "${1:-5}" ${2:-}
