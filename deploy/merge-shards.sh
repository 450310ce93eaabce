#!/usr/bin/env bash
# Merges the shard directories written by shard-entry.sh into one results directory, identical to
# what a single machine running the whole sweep would have written: $OUT/<scenario name>/.
#   SHARDS, RESULTS as for shard-entry.sh; OUT: base of the merged results (default $RESULTS/merged)
# `simctl merge` reads the scenario's name from the shards' run records, so the scenario file is not
# needed here.
set -euo pipefail
: "${SHARDS:?}" "${RESULTS:?}"
SIMCTL="${SIMCTL:-simctl}"
OUT="${OUT:-$RESULTS/merged}"
dirs=()
for k in $(seq 1 "$SHARDS"); do
    dirs+=("$RESULTS/shard-$k")
done
exec "$SIMCTL" merge --out "$OUT" "${dirs[@]}"
