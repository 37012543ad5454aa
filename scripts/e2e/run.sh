#!/usr/bin/env bash
# The OHIF end-to-end test (e2e/ohif.e2e.ts) against a DICOMweb server.
#
#   scripts/e2e/run.sh orthanc [jest args]
#       Orthanc + DICOMweb plugin (bench/orthanc/orthanc.sh, left running) behind two CORS proxies started
#       here (e2e/cors-proxy.ts): one open, one that requires a bearer token and strips it.
#   scripts/e2e/run.sh URL [--token T] [--token-url URL2] [--token-always] [--token-enforced] [-- jest args]
#       Any DICOMweb root, e.g. http://127.0.0.1:8080/dicomweb, with no proxy: the server must send CORS
#       headers itself. --token adds a scenario with `Authorization: Bearer T` (against URL2 when given);
#       --token-always sends it in every scenario (and with the upload); --token-enforced also checks that
#       the server answers 401 without it.
#
# Prepares what it needs first, each step idempotent and fast once cached: the prebuilt OHIF viewer
# (scripts/e2e/fetch-ohif.sh), Debian's Chromium (scripts/e2e/install-chromium.sh), pydicom and numpy.
# Artefacts (screenshots on failure, request logs, report.md, summary.json): test-results/e2e/.
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$repo"
say() { printf '[e2e] %s\n' "$*" >&2; }
usage() {
  sed -n '2,12p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2
  exit 2
}

(($# >= 1)) || usage
target=$1
shift
token='' token_url='' token_mode=extra token_enforced=0
jest_args=()
if [[ $target != orthanc ]]; then
  while (($#)); do
    case $1 in
      --token) token=${2:?--token needs a value}; shift 2 ;;
      --token-url) token_url=${2:?--token-url needs a value}; shift 2 ;;
      --token-always) token_mode=always; shift ;;
      --token-enforced) token_enforced=1; shift ;;
      --) shift; jest_args+=("$@"); break ;;
      *) jest_args+=("$1"); shift ;;
    esac
  done
else
  jest_args=("$@")
fi

# Node 24 of the repository (its `node` devDependency), without npx's start-up cost; npx where it is missing.
node_bin=("$repo/node_modules/.bin/node")
[[ -x ${node_bin[0]} ]] || node_bin=(npx node)

started=$(date +%s%3N)
E2E_OHIF_DIST=$(bash scripts/e2e/fetch-ohif.sh)
bash scripts/e2e/install-chromium.sh
if ! python3 -c 'import pydicom, numpy' 2>/dev/null; then
  say "installing the pinned pydicom and numpy of scripts/test-env/requirements.txt"
  PIP_BREAK_SYSTEM_PACKAGES=1 python3 -m pip install -q --disable-pip-version-check \
    $(grep -E '^(pydicom|numpy)==' scripts/test-env/requirements.txt)
fi
results=${E2E_RESULTS_DIR:-$repo/test-results/e2e}
rm -rf "$results"
mkdir -p "$results"

pids=()
cleanup() {
  local pid
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
}
trap cleanup EXIT

# Starts scripts/e2e/cors-proxy.ts in front of $1 and sets proxy_origin once it listens (not in a $(…)
# subshell: the proxy's pid must reach the cleanup trap of this shell).
proxy_origin=
start_proxy() {
  local upstream=$1 name=$2 bearer=$3 ready
  ready=$(mktemp -u "$results/.proxy-$name.XXXXXX")
  E2E_PROXY_BEARER_TOKEN=$bearer "${node_bin[@]}" scripts/e2e/cors-proxy.ts --upstream "$upstream" --orthanc \
    --ready-file "$ready" --log "$results/proxy-$name.log" >>"$results/proxy-$name.log" 2>&1 &
  pids+=($!)
  local deadline=$(($(date +%s) + 30))
  until [[ -s $ready ]]; do
    kill -0 "${pids[-1]}" 2>/dev/null || { say "error: the $name proxy exited"; cat "$results/proxy-$name.log" >&2; exit 1; }
    (($(date +%s) < deadline)) || { say "error: the $name proxy did not start in 30 s"; exit 1; }
    sleep 0.05
  done
  proxy_origin=$(<"$ready")
  rm -f "$ready"
}

if [[ $target == orthanc ]]; then
  bash bench/orthanc/orthanc.sh up
  orthanc_url=$(sed -n 's/^ORTHANC_URL=//p' "${PACS_INFRA_DIR:-$repo/.infra}/orthanc/env")
  token="e2e-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')"
  start_proxy "$orthanc_url" open ''
  open_origin=$proxy_origin
  start_proxy "$orthanc_url" bearer "$token"
  bearer_origin=$proxy_origin
  export E2E_DICOMWEB_URL=$open_origin/dicomweb
  export E2E_BEARER_DICOMWEB_URL=$bearer_origin/dicomweb
  export E2E_BEARER_TOKEN=$token E2E_BEARER_MODE=extra E2E_BEARER_ENFORCED=1
  say "Orthanc $orthanc_url; CORS proxies $open_origin (open) and $bearer_origin (bearer token required)"
else
  [[ $target =~ ^https?:// ]] || usage
  export E2E_DICOMWEB_URL=${target%/}
  export E2E_BEARER_TOKEN=$token E2E_BEARER_MODE=$token_mode E2E_BEARER_ENFORCED=$token_enforced
  [[ -z $token_url ]] || export E2E_BEARER_DICOMWEB_URL=${token_url%/}
fi
export E2E_OHIF_DIST E2E_RESULTS_DIR=$results
say "ready in $(($(date +%s%3N) - started)) ms; running e2e/ohif.e2e.ts against $E2E_DICOMWEB_URL"
npx jest -c e2e/jest.config.cjs "${jest_args[@]}"
