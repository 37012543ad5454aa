#!/usr/bin/env bash
# QIDO-RS index benchmark (bench/qido/README.md): 1,000,000 instances through the index's write path, then the
# searches of a study list, a prior lookup and a viewer, with their EXPLAIN plans, on PostgreSQL and PGlite.
# Builds libs/ and bench/qido with swc into .cache/qido-bench (with the SQL migrations), then runs it with Node 24.
# Usage: bash bench/qido/run.sh [--db postgres,pglite] [--instances 1000000] [--fresh] [--runs 200]
set -euo pipefail
cd "$(dirname "$0")/../.."
out=.cache/qido-bench
rm -rf "$out/libs" "$out/bench"
node_modules/.bin/swc libs bench/qido -d "$out" --config-file .swcrc --quiet \
  --ignore '**/*.spec.ts,**/*.integration-spec.ts,**/*.memory-spec.ts'
for asset in $(find libs/*/prisma/migrations -name '*.sql'); do
  mkdir -p "$out/$(dirname "$asset")"
  cp "$asset" "$out/$asset"
done
npx node --max-old-space-size=4096 "$out/bench/qido/qido-bench.js" "$@"
