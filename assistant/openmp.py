"""How long OpenMP threads spin before they sleep: short, so a busy machine does not starve the assistant.

llama.cpp's wheel and CTranslate2 (Whisper) both run their thread teams on GNU OpenMP (libgomp), whose
idle threads spin on a core for up to 300,000 iterations (GOMP_SPINCOUNT) at each barrier before they
sleep; llama.cpp meets a barrier after every operation of every token. On a machine whose cores are
shared with other work, a spinning thread whose partner is not running burns its time slice waiting for
it. Measured on the 2-core VM (`python scripts/soak.py --minutes 6` with a competing process generating
with llama.cpp and transcribing with faster-whisper all the time; docs/reliability.md):

| GOMP_SPINCOUNT | turns answered | voice-to-voice p50 / p95 | idle token time (Qwen 0.5B, 2 threads) |
|---|---|---|---|
| unset (300,000) | 19 of 22 | 3.8 s / 15.7 s | 35.9 ms |
| 10,000 (set here) | 21 of 21 | 4.3 s / 12.6 s | 34.4 ms |
| 0 (OMP_WAIT_POLICY=PASSIVE) | 26 of 26 | 2.8 s / 5.7 s | 68.6 ms |

One 6-minute run each, so the latencies are rough. PASSIVE sleeps at every barrier, which serves a
shared machine best but doubles an idle token's time; a short spin keeps the idle speed and answered
every turn under the load. Who runs the assistant on a shared machine may export OMP_WAIT_POLICY=PASSIVE.
The variables are read once, when libgomp loads, so they are set when the package is imported, before any
model library: `setdefault`, so that a value the user exported wins.
"""

from __future__ import annotations

import os

SPIN_COUNT = "10000"
"""Iterations an idle libgomp thread spins before it sleeps (libgomp's default: 300,000)."""


def limit_spinning() -> None:
    """Set GOMP_SPINCOUNT for this process and its children unless the user set it (or a wait policy)."""
    if "OMP_WAIT_POLICY" not in os.environ:
        os.environ.setdefault("GOMP_SPINCOUNT", SPIN_COUNT)
