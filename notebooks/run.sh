#!/usr/bin/env bash
# Runs notebooks/compare.ipynb headless against a results dir.
#
#   notebooks/run.sh RESULTS_DIR [OUTPUT.ipynb]
#
# Creates the venv .venv at the repo root if missing, installs the pinned notebooks/requirements.txt
# into it (a no-op when already satisfied), executes every cell (600 s limit per cell) and writes the
# executed notebook to OUTPUT (default: a temporary file, whose path is printed). Exits non-zero if a
# cell raises, so CI can use it. The stored notebook is never modified.
set -euo pipefail

if [[ $# -lt 1 || $# -gt 2 ]]; then
    echo "usage: $0 RESULTS_DIR [OUTPUT.ipynb]" >&2
    exit 2
fi
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/.." && pwd)"
results="$(cd "$1" && pwd)" || { echo "error: results dir $1 not found" >&2; exit 1; }
out="${2:-$(mktemp -t compare-XXXXXX.ipynb)}"
venv="$root/.venv"
python="${PYTHON:-python3}"

if [[ ! -x "$venv/bin/python" ]]; then
    echo "creating $venv" >&2
    "$python" -m venv "$venv"
fi
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$here/requirements.txt"

SIMCTL_RESULTS="$results" "$venv/bin/python" - "$here/compare.ipynb" "$out" "$here" <<'PY'
import sys
import warnings

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

# A cell without an id is a warning today and "will become a hard error" in a later nbformat: fail
# now, while it is one line to fix, rather than when the pins move.
warnings.simplefilter("error", nbformat.warnings.MissingIDFieldWarning)

src, out, cwd = sys.argv[1:4]
nb = nbformat.read(src, as_version=4)
client = NotebookClient(nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": cwd}})
try:
    client.execute()
except CellExecutionError as e:
    nbformat.write(nb, out)
    print(f"notebook failed (partial output in {out}):\n{e}", file=sys.stderr)
    sys.exit(1)
nbformat.write(nb, out)
print(f"executed notebook written to {out}")
PY
