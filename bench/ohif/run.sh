#!/usr/bin/env bash
# OHIF in Chromium against Orthanc and against this PACS, same viewer, same series, same run
# (bench/ohif/README.md). Usage: bash bench/ohif/run.sh [--rounds N]   (npm run bench:ohif)
#
# Each round runs the e2e test (e2e/ohif.e2e.ts, the two thumbnail modes) once against Orthanc + its DICOMweb
# plugin behind the e2e CORS proxy (what a deployment of Orthanc needs for a viewer on another origin), then
# once against the embedded process (dist/services/pacs, fresh data folder, no proxy); rounds alternate so
# that a busy moment of the machine does not land on one server only. Prints the medians and their ratios.
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$repo"
rounds=3
while (($#)); do
  case $1 in
    --rounds) rounds=${2:?--rounds needs a number}; shift 2 ;;
    *) echo "usage: bash bench/ohif/run.sh [--rounds N]" >&2; exit 2 ;;
  esac
done
node_bin=$repo/node_modules/.bin/node
say() { printf '[ohif-bench] %s\n' "$*" >&2; }
out=$repo/.cache/ohif-bench
rm -rf "$out"
mkdir -p "$out"
pid=
cleanup() {
  [[ -z $pid ]] || { kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; }
}
trap cleanup EXIT

free_port() { "$node_bin" -e "const s=require('net').createServer().listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})"; }

say "load average at start: $(cut -d' ' -f1-3 /proc/loadavg) ($(nproc) cores)"
npm run -s build
# The bearer-token scenario is left out: it measures a proxy of ours in front of Orthanc, not Orthanc.
scenarios=(-t "OHIF v3 with (thumbnails drawn from WADO-RS frames|the server's thumbnails) ")
for ((round = 1; round <= rounds; round++)); do
  say "round $round/$rounds: Orthanc behind the CORS proxy"
  E2E_RESULTS_DIR=$out/orthanc-$round bash scripts/e2e/run.sh orthanc "${scenarios[@]}" >"$out/orthanc-$round.log" 2>&1 ||
    { tail -50 "$out/orthanc-$round.log" >&2; exit 1; }

  say "round $round/$rounds: this PACS (embedded process, no proxy)"
  port=$(free_port)
  PACS_DATA_DIR=$out/data-$round PACS_HTTP_PORT=$port PACS_HL7_MLLP_PORT=0 PACS_LOG_LEVEL=warn \
    PACS_AUDIT_LOG=/dev/null "$node_bin" dist/services/pacs/src/main.js >"$out/pacs-$round.log" 2>&1 &
  pid=$!
  deadline=$(($(date +%s) + 120))
  until curl -sf "http://127.0.0.1:$port/readyz" >/dev/null; do
    kill -0 "$pid" 2>/dev/null || { cat "$out/pacs-$round.log" >&2; exit 1; }
    (($(date +%s) < deadline)) || { say "not ready in 120 s"; exit 1; }
    sleep 0.3
  done
  E2E_RESULTS_DIR=$out/ours-$round bash scripts/e2e/run.sh "http://127.0.0.1:$port/dicomweb" -- "${scenarios[@]}" \
    >"$out/ours-$round.log" 2>&1 || { tail -50 "$out/ours-$round.log" >&2; exit 1; }
  cleanup
  pid=
done
say "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
"$node_bin" --disable-warning=MODULE_TYPELESS_PACKAGE_JSON bench/ohif/compare.ts "$out" "$rounds"
