#!/usr/bin/env bash
# Generates libs/contracts/src/generated/ (TypeScript, protobuf-es) from the event contracts in proto/.
# Offline and deterministic: buf and protoc-gen-es come from node_modules (pinned in package.json); the
# generated files are committed and CI checks they are up to date (`npm run codegen:check`).
#   scripts/codegen/contracts.sh           lint proto/, then generate
#   scripts/codegen/contracts.sh breaking  also fail on a change that breaks the contracts of the main branch
#                                          (buf breaking against the local git ref, FILE rules of buf.yaml)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
buf=node_modules/.bin/buf
[[ -x $buf ]] || {
  echo "contracts: $buf is missing: run npm install first" >&2
  exit 1
}
"$buf" lint
"$buf" generate
if [[ ${1:-} == breaking ]]; then
  # Against the proto/ of the main branch as this clone knows it; a first version has nothing to break.
  if git cat-file -e "${PACS_CONTRACTS_BASE:-main}:proto" 2>/dev/null; then
    "$buf" breaking --against ".git#ref=${PACS_CONTRACTS_BASE:-main},subdir=proto"
  fi
fi
