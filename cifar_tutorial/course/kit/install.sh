#!/bin/sh
# Install cifar-tutorial from this offline kit (Linux, macOS): nothing is fetched from the network.
#
#   sh install.sh [VENV] [options of cifar-tutorial doctor]
#
# VENV (default ~/cifar-tutorial-venv) is created, or reused when it exists. Set PYTHON to
# choose the interpreter (default python3, 3.10 or newer).
set -eu
KIT=$(cd "$(dirname "$0")" && pwd)
VENV=${1:-"$HOME/cifar-tutorial-venv"}
[ $# -gt 0 ] && shift
PYTHON=${PYTHON:-python3}
STARTED=$(date +%s)
last=$STARTED

took() {  # took WHAT: print how long the step since the previous one took
    now=$(date +%s)
    echo "== $1: $((now - last)) s"
    last=$now
}

if [ ! -x "$VENV/bin/python" ]; then
    "$PYTHON" -m venv "$VENV"
    took "virtual environment $VENV"
fi
"$VENV/bin/python" -m pip install --no-index --find-links "$KIT/wheels" cifar-tutorial
took "pip install --no-index --find-links wheels cifar-tutorial"
if [ -f "$KIT/data/SHA256SUMS" ]; then
    # its checksum, then a complete CIFAR-10 (else one line naming the file, and a stop)
    "$VENV/bin/python" -m cifar_tutorial.course.bundle verify "$KIT/data"
    for archive in "$KIT"/data/*.tar.gz; do
        "$VENV/bin/cifar-tutorial" prefetch --from-archive "$archive"
    done
    took "CIFAR-10 checked and installed"
fi
echo "== installed in $(( $(date +%s) - STARTED )) s; now the readiness check:"
"$VENV/bin/cifar-tutorial" doctor --notebook-dir "$KIT/notebooks" "$@"
