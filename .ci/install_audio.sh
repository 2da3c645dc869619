#!/usr/bin/env bash
# Install the system packages needed to run the audio tests against virtual
# (PulseAudio null-sink) devices: PulseAudio daemon + CLI tools, PortAudio for
# python-sounddevice, and the ALSA "pulse" plugin so PortAudio's ALSA host API
# can reach the daemon; and espeak-ng and flite, the other voices of the spoken
# intent tests. Idempotent; safe to run as root in CI (no stdin).
set -euo pipefail

PKGS=(
  pulseaudio          # the daemon (module-null-sink, native protocol)
  pulseaudio-utils    # pactl, paplay, parec
  libportaudio2       # PortAudio, loaded by python-sounddevice
  libasound2-plugins  # ALSA "pulse" PCM plugin (the "pulse"/"default" device)
  espeak-ng           # TTS voices for the spoken intent tests (tests/test_intent.py): espeak-ng
  flite               # and CMU Flite
)

missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -eq 0 ]; then
  echo "install_audio: all packages already installed"
  exit 0
fi

SUDO=()
if [ "$(id -u)" -ne 0 ]; then SUDO=(sudo -E); fi
export DEBIAN_FRONTEND=noninteractive
"${SUDO[@]}" apt-get update -qq
"${SUDO[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" </dev/null
echo "install_audio: installed ${missing[*]}"
