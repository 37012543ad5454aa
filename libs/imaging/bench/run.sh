#!/usr/bin/env bash
# Builds libs/imaging (and the libs it imports) with swc into .cache/imaging-bench and runs the benchmark
# there with Node 24. Usage: bash libs/imaging/bench/run.sh [seconds per measurement, default 3]
set -euo pipefail
cd "$(dirname "$0")/../../.."
out=.cache/imaging-bench
rm -rf "$out"
node_modules/.bin/swc libs/imaging libs/dicom -d "$out" --config-file .swcrc --quiet \
  --ignore '**/*.spec.ts,**/*.integration-spec.ts'
npx node "$out/libs/imaging/bench/imaging-bench.js" "${1:-3}"
