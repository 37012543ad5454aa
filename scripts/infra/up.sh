#!/usr/bin/env bash
# Starts the servers of scripts/infra in parallel (postgres, s3, and kafka when scripts/infra/kafka.sh exists;
# or those named as arguments), each installed first when missing, then merges their env files into .infra/env.
# A server that fails is reported with the end of its log, and the script exits 1.
set -euo pipefail
dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
export PACS_INFRA_DIR=$(realpath -m "${PACS_INFRA_DIR:-$dir/../../.infra}")
mkdir -p "$PACS_INFRA_DIR"

# Every server by default; or those named as arguments (scripts/infra/up.sh postgres s3).
if (($#)); then
  servers=("$@")
  for name in "${servers[@]}"; do
    [[ -f $dir/$name.sh ]] || { echo "${BASH_SOURCE[0]}: no server script $dir/$name.sh" >&2; exit 2; }
  done
else
  servers=(postgres s3)
  [[ -f $dir/kafka.sh ]] && servers+=(kafka)
fi

started=$(date +%s%3N)
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
declare -A pids
for name in "${servers[@]}"; do
  bash "$dir/$name.sh" up >"$out/$name" 2>&1 &
  pids[$name]=$!
done

failed=()
for name in "${servers[@]}"; do
  if wait "${pids[$name]}"; then
    cat "$out/$name" >&2
  else
    failed+=("$name")
  fi
done

if ((${#failed[@]})); then
  for name in "${failed[@]}"; do
    printf '\n== %s failed to start\n' "$name" >&2
    cat "$out/$name" >&2
    # The end of the server's log (.infra/<name>/log, or its newest *.log), unless the script printed it.
    log=$(ls -t "$PACS_INFRA_DIR/$name/log" "$PACS_INFRA_DIR/$name"/*.log 2>/dev/null | head -n 1 || true)
    if ! grep -q 'last lines of' "$out/$name" && [[ -n $log && -s $log ]]; then
      printf -- '-- last lines of %s\n' "$log" >&2
      tail -n 40 "$log" >&2
    fi
  done
  rm -f "$PACS_INFRA_DIR/env"
  echo "scripts/infra/up.sh: ${failed[*]} did not start" >&2
  exit 1
fi

# One file for every client variable, written atomically (readers never see half of it): the servers
# just started, and the others that are up (an env file exists only while its server is up).
tmp=$(mktemp "$PACS_INFRA_DIR/env.XXXXXX")
for env in "$PACS_INFRA_DIR"/*/env; do
  [[ -f $env ]] || continue
  printf '# %s\n' "$(basename "$(dirname "$env")")"
  awk 1 "$env" # awk 1: adds the final newline a file may lack
done >"$tmp"
chmod 600 "$tmp"
mv -f "$tmp" "$PACS_INFRA_DIR/env"
echo "scripts/infra/up.sh: ${servers[*]} up in $(($(date +%s%3N) - started)) ms; variables in $PACS_INFRA_DIR/env" >&2
