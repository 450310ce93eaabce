#!/usr/bin/env bash
# Usage: deploy/slurm/submit.sh SCENARIO SHARDS RESULTS_DIR
# Queues SHARDS array tasks and a merge job that starts when all of them succeeded; prints both job
# ids. Run it from the repository (it names deploy/slurm/*.sbatch; the jobs start in this directory).
set -euo pipefail
if [ $# -ne 3 ]; then
    echo "usage: $0 SCENARIO SHARDS RESULTS_DIR" >&2
    exit 2
fi
export SCENARIO="$1" SHARDS="$2" RESULTS="$3"
export SIMCTL="${SIMCTL:-$(command -v simctl || echo target/release/simctl)}"
mkdir -p "$RESULTS"
array=$(sbatch --parsable --export=ALL --array="1-$SHARDS" --output="$RESULTS/slurm-%A_%a.out" deploy/slurm/sweep.sbatch)
merge=$(sbatch --parsable --export=ALL --dependency="afterok:$array" --output="$RESULTS/slurm-merge-%j.out" deploy/slurm/merge.sbatch)
echo "queued array job $array ($SHARDS shards) and merge job $merge; results in $RESULTS/merged/<scenario>/"
