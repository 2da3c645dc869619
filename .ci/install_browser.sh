#!/usr/bin/env bash
# Install Debian's Chromium for the browser tests (Playwright drives it through executable_path, so no
# browser is downloaded). Idempotent; safe to run as root in CI (no stdin).
set -euo pipefail
if [ -x /usr/bin/chromium ]; then
  echo "install_browser: chromium already installed"
  exit 0
fi
SUDO=()
if [ "$(id -u)" -ne 0 ]; then SUDO=(sudo -E); fi
export DEBIAN_FRONTEND=noninteractive
"${SUDO[@]}" apt-get update -qq
"${SUDO[@]}" apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core </dev/null
echo "install_browser: installed chromium"
