#!/usr/bin/env bash
# Install Debian's Chromium and Firefox ESR for the browser tests (Playwright drives Chromium through
# executable_path, marionette-driver drives Firefox: no browser is downloaded). Idempotent; safe to run as
# root in CI (no stdin).
set -euo pipefail
if [ -x /usr/bin/chromium ] && [ -x /usr/bin/firefox-esr ]; then
  echo "install_browser: chromium and firefox-esr already installed"
  exit 0
fi
SUDO=()
if [ "$(id -u)" -ne 0 ]; then SUDO=(sudo -E); fi
export DEBIAN_FRONTEND=noninteractive
"${SUDO[@]}" apt-get update -qq
"${SUDO[@]}" apt-get install -y -qq --no-install-recommends chromium firefox-esr fonts-dejavu-core </dev/null
echo "install_browser: installed chromium and firefox-esr"
