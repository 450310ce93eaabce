#!/usr/bin/env bash
# Runs one shard of a simctl sweep. Used as the body of a Slurm array task and of a Kubernetes
# Indexed Job pod; both give each worker an index, and this script turns it into --shard K/N.
#
#   SCENARIO      scenario file (required)
#   SHARDS        number of shards N (required)
#   RESULTS       shared directory for the shards' outputs (required)
#   SIMCTL        simctl binary (default: simctl on PATH)
# The worker index comes from SLURM_ARRAY_TASK_ID (1-based, as in --array=1-N) or
# JOB_COMPLETION_INDEX (0-based, Kubernetes Indexed Jobs).
set -euo pipefail
: "${SCENARIO:?set SCENARIO to the scenario file}"
: "${SHARDS:?set SHARDS to the number of shards}"
: "${RESULTS:?set RESULTS to the shared results directory}"
SIMCTL="${SIMCTL:-simctl}"
if [ -n "${SLURM_ARRAY_TASK_ID:-}" ]; then
    k="$SLURM_ARRAY_TASK_ID"
elif [ -n "${JOB_COMPLETION_INDEX:-}" ]; then
    k=$((JOB_COMPLETION_INDEX + 1))
else
    echo "shard-entry: neither SLURM_ARRAY_TASK_ID nor JOB_COMPLETION_INDEX is set" >&2
    exit 2
fi
# --resume: a preempted or retried worker continues where it stopped instead of starting over.
exec "$SIMCTL" run "$SCENARIO" --shard "$k/$SHARDS" --resume --quiet --out "$RESULTS/shard-$k"
