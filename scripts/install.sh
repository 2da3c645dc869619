#!/usr/bin/env bash
# Installs the assistant into ./.venv on a fresh Debian/Ubuntu machine: system audio libraries, a portable
# llama.cpp build (cached, built once), the package with its offline models. `--test` adds test tools.
set -euo pipefail
cd "$(dirname "$0")/.."
extra=""
[ "${1:-}" = "--test" ] && extra="[test]"

bash .ci/install_audio.sh
if [ -n "$extra" ]; then bash .ci/install_browser.sh; fi

PY=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$PY" -m venv .venv
. .venv/bin/activate
python -m pip install -q --upgrade pip wheel

# llama-cpp-python compiles llama.cpp. Build it once without -march=native (a wheel tuned to one CPU can
# crash on another, and AMX paths crash on some VMs), keep the wheel in our own cache, reuse it after.
LLAMA_VERSION=0.3.36
WHEELS=${ASSISTANT_WHEELS:-$HOME/.cache/voice-assistant/wheels}
mkdir -p "$WHEELS"
if ! ls "$WHEELS"/llama_cpp_python-"$LLAMA_VERSION"-*.whl >/dev/null 2>&1; then
  echo "Building llama.cpp (about 8 minutes on 2 cores, once)…"
  CMAKE_ARGS="-DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON -DGGML_AVX512=OFF \
-DGGML_AMX_TILE=OFF -DGGML_AMX_INT8=OFF -DGGML_AMX_BF16=OFF" \
    python -m pip wheel -q --no-cache-dir --no-deps -w "$WHEELS" "llama-cpp-python==$LLAMA_VERSION"
fi
python -m pip install -q "$WHEELS"/llama_cpp_python-"$LLAMA_VERSION"-*.whl
python -m pip install -q -e ".$extra"
# Compile the text normaliser's grammars into the model cache once (~45 s), not at a first conversation.
python -m assistant.tts.grammar_worker --build
echo "Installed. Activate with: . .venv/bin/activate"
