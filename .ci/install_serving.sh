#!/usr/bin/env bash
# What the serving tests need beyond scripts/install.sh: Debian's docker-compose (Compose 1.29, to resolve
# and validate docker-compose.yml; no Docker engine is needed or started) and haproxy (to check the
# proxy's config), and vLLM's CPU build in its own venv (scripts/install_vllm.sh). Idempotent.
set -euo pipefail
cd "$(dirname "$0")/.."

PKGS=(docker-compose haproxy)
missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  SUDO=()
  if [ "$(id -u)" -ne 0 ]; then SUDO=(sudo -E); fi
  export DEBIAN_FRONTEND=noninteractive
  "${SUDO[@]}" apt-get update -qq
  "${SUDO[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" </dev/null
  echo "install_serving: installed ${missing[*]}"
fi
# Debian starts no daemon here (no systemd); where one is running, it is not ours to keep.
bash scripts/install_vllm.sh
