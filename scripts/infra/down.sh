#!/usr/bin/env bash
# Stops every server of scripts/infra in parallel (idempotent) and removes .infra/env.
set -euo pipefail
dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
export PACS_INFRA_DIR=$(realpath -m "${PACS_INFRA_DIR:-$dir/../../.infra}")

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

rm -f "$PACS_INFRA_DIR/env"
declare -A pids
for name in "${servers[@]}"; do
  bash "$dir/$name.sh" down &
  pids[$name]=$!
done
status=0
for name in "${servers[@]}"; do
  wait "${pids[$name]}" || { echo "scripts/infra/down.sh: $name did not stop cleanly" >&2; status=1; }
done
exit $status
