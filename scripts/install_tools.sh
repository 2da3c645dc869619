#!/usr/bin/env bash
# Test tools whose pinned dependencies conflict with the assistant's own: their own venv, ./.venv-tools.
# mitmproxy is the reverse proxy that injects LLM-server faults in tests/test_faults.py (toxiproxy is not
# packaged for this Debian release).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
[ -x .venv-tools/bin/python ] || "$PY" -m venv .venv-tools
.venv-tools/bin/python -m pip install -q --upgrade pip
.venv-tools/bin/python -m pip install -q "mitmproxy>=11,<13"
