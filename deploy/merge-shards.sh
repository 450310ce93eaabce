#!/usr/bin/env bash
# Merges the shard directories written by shard-entry.sh into one results directory, identical to
# what a single machine running the whole sweep would have written.
#   SCENARIO, SHARDS, RESULTS as for shard-entry.sh; OUT: merged results (default $RESULTS/merged)
set -euo pipefail
: "${SCENARIO:?}" "${SHARDS:?}" "${RESULTS:?}"
SIMCTL="${SIMCTL:-simctl}"
OUT="${OUT:-$RESULTS/merged}"
name=$(sed -n 's/^name *= *"\(.*\)".*/\1/p' "$SCENARIO" | head -n 1)
dirs=()
for k in $(seq 1 "$SHARDS"); do
    dirs+=("$RESULTS/shard-$k/$name")
done
exec "$SIMCTL" merge --out "$OUT" "${dirs[@]}"
