#!/usr/bin/env bash
# The OHIF end-to-end test against this PACS, no proxy in between (`npm run test:e2e`, part of `npm test`):
#   1. the embedded process (dist/services/pacs), both thumbnail modes;
#   2. the embedded process with PACS_AUTH_MODE=jwt, every request carrying a bearer token, one without
#      it refused (the issuer is made up here: a key, its JWKS in a file, a token);
#   3. the cluster gateway (gateway → stow, qido, wado, render over PostgreSQL, Kafka, S3).
# The services must be built (npm run build). Artefacts: test-results/e2e/<target>/.
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$repo"
node_bin=$repo/node_modules/.bin/node
say() { printf '[e2e] %s\n' "$*" >&2; }
work=$(mktemp -d)
pids=()
run_id=
cleanup() {
  local pid
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  # The cluster run's own database goes with it (its topics are left to Kafka's retention).
  [[ -z $run_id ]] || "$node_bin" -e "
    const env = Object.fromEntries(require('fs').readFileSync('.infra/env', 'utf8').split('\\n').filter((l) => l.includes('=')).map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
    const { Client } = require('pg');
    const c = new Client({ connectionString: env.PACS_DATABASE_URL });
    c.connect().then(() => c.query('DROP DATABASE IF EXISTS $run_id WITH (FORCE)')).then(() => c.end());" ||
    say "could not drop the database $run_id"
  rm -rf "$work"
}
trap cleanup EXIT

free_port() { "$node_bin" -e "const s=require('net').createServer().listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})"; }
wait_ready() {
  local url=$1 pid=$2 deadline=$(($(date +%s) + 120))
  until curl -sf "$url/readyz" >/dev/null; do
    kill -0 "$pid" 2>/dev/null || { say "the server exited"; return 1; }
    (($(date +%s) < deadline)) || { say "$url not ready"; return 1; }
    sleep 0.3
  done
}

# Starts the embedded process with extra settings; sets pacs_url.
start_embedded() {
  local name=$1 port
  shift
  port=$(free_port)
  env PACS_DATA_DIR="$work/$name" PACS_HTTP_PORT="$port" PACS_HL7_MLLP_PORT=0 PACS_LOG_LEVEL=warn \
    PACS_AUDIT_LOG=/dev/null "$@" "$node_bin" dist/services/pacs/src/main.js >"$work/$name.log" 2>&1 &
  pids+=($!)
  wait_ready "http://127.0.0.1:$port" "${pids[-1]}" || { cat "$work/$name.log" >&2; exit 1; }
  pacs_url=http://127.0.0.1:$port/dicomweb
}

say "embedded process"
start_embedded embedded
E2E_RESULTS_DIR=$repo/test-results/e2e/embedded bash scripts/e2e/run.sh "$pacs_url"

say "embedded process with bearer tokens (PACS_AUTH_MODE=jwt)"
issuer=https://issuer.e2e.invalid/realms/pacs
token=$("$node_bin" scripts/e2e/make-test-issuer.mjs "$work/jwks.json" "$issuer" pacs-e2e)
start_embedded embedded-jwt PACS_AUTH_MODE=jwt PACS_OIDC_ISSUER="$issuer" PACS_OIDC_AUDIENCE=pacs-e2e \
  PACS_OIDC_JWKS_FILE="$work/jwks.json"
E2E_RESULTS_DIR=$repo/test-results/e2e/embedded-jwt bash scripts/e2e/run.sh "$pacs_url" \
  --token "$token" --token-always --token-enforced

say "cluster gateway"
bash scripts/infra/up.sh >&2
# Its own database and topics, so the study list shows this run's study only.
run_id=e2e$(date +%s)
database_url=$("$node_bin" -e "
  const env = Object.fromEntries(require('fs').readFileSync('.infra/env', 'utf8').split('\\n').filter((l) => l.includes('=')).map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
  const { Client } = require('pg');
  const c = new Client({ connectionString: env.PACS_DATABASE_URL });
  c.connect().then(() => c.query('CREATE DATABASE $run_id')).then(() => c.end()).then(() => {
    const u = new URL(env.PACS_DATABASE_URL); u.pathname = '/$run_id'; console.log(u.toString());
  });")
port=$(free_port)
PACS_DATABASE_URL=$database_url PACS_KAFKA_TOPIC_PREFIX=$run_id. PACS_HTTP_PORT=$port PACS_HL7_MLLP_PORT=$(free_port) PACS_LOG_LEVEL=warn PACS_AUDIT_LOG=/dev/null \
  "$node_bin" scripts/cluster/main.ts >"$work/cluster.log" 2>&1 &
pids+=($!)
wait_ready "http://127.0.0.1:$port" "${pids[-1]}" || { cat "$work/cluster.log" >&2; exit 1; }
E2E_RESULTS_DIR=$repo/test-results/e2e/cluster bash scripts/e2e/run.sh "http://127.0.0.1:$port/dicomweb"
