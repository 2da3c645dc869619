"""How much of a user who starts talking just after a session's first reply begins gets through the echo
gate, and whether the replies' own echo ever opens a turn.

Runs tests/test_echo_gate.py's harness (the real gate, canceller and Silero, frame by frame as
`Conversation.push_input` runs them) over real speech from ../shared/speech, 6 dB quieter than the
reply, for each echo path and start time, and prints per cell: the user's speech frames heard of all of
them, how late the first heard frame came, and how late the onset that pauses the reply came (p50 / max
ms after the user's first word; "never" when none came). Then it plays the replies with nobody speaking
and counts onsets. Takes about 5 minutes on 2 cores.

    .venv/bin/python scripts/probe_echo_gate.py [--paths none,d20,d6,room6] [--starts 0.1,0.3,0.5,0.8,1.2]
"""

from __future__ import annotations

import argparse
import itertools
import sys
import wave
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

import test_echo_gate as harness  # noqa: E402
from spoken import steady_voice  # noqa: E402
from test_echo import delayed, room_echo, to_int16  # noqa: E402
from test_echo_gate import EchoPath, reverberant  # noqa: E402

from assistant.config import load_config  # noqa: E402
from assistant.vad import SpeechDetector  # noqa: E402

SPEECH_DIRS = [ROOT.parent / "shared" / "speech", Path("/work/shared/speech")]
USERS = [
    "goforward.wav",
    "forever.wav",
    "sense_and_sensibility_01_austen_64kb-0880.wav",
    "asterisk-dev/call-fwd-on-busy.wav",
    "asterisk-dev/cannot-complete-as-dialed.wav",
]
REPLIES = [
    "Sure, here is what I found about the weather in the city this afternoon and tonight.",
    "Okay. Twelve minutes, starting now. I will tell you when it is done.",
]


PATHS: dict[str, EchoPath | None] = {
    "none": None,  # headphones: nothing comes back
    "d20": lambda far: delayed(far, 40, -20),
    "d6": lambda far: delayed(far, 40, -6),
    "room6": room_echo,  # -6 dB with reflections up to 88 ms
    "d0": lambda far: delayed(far, 120, 0),  # as loud as the reply, late
    "rt300": reverberant(0.3),
    "rt600": reverberant(0.6),
    "rt300clip": reverberant(0.3, gain_db=0.0, clip=True),
    "late250": lambda far: delayed(far, 250, -6),  # a Bluetooth speaker's delay
}
ECHO_ALONE = ("d20", "d6", "room6", "d0", "rt300", "rt600", "rt300clip", "late250")
FRAME_S = 0.02


def load(path: Path) -> np.ndarray:
    """A 16 kHz mono WAV as float64 samples (int16 scale)."""
    with wave.open(str(path)) as w:
        return np.frombuffer(w.readframes(w.getnframes()), "<i2").astype(np.float64)


def speech(name: str) -> Path:
    """A file of ../shared/speech (FileNotFoundError naming the folders tried)."""
    for folder in SPEECH_DIRS:
        if (folder / name).exists():
            return folder / name
    raise FileNotFoundError(f"{name} not found in any of {[str(d) for d in SPEECH_DIRS]}")


def first_speech_s(audio: np.ndarray) -> float:
    """Where Silero first hears speech in `audio` (16 kHz), in s."""
    cfg = load_config()
    detector, x, n = SpeechDetector(cfg.vad, 20), to_int16(audio), cfg.frame_samples
    return next(i for i in range(x.size // n) if detector.process(x[i * n : (i + 1) * n]).speech) * FRAME_S


def _ms(values: list[float]) -> str:
    worst = max(values)
    return f"p50 {np.median(values):.0f} ms, max {'never' if worst == float('inf') else f'{worst:.0f} ms'}"


def heard_cell(path: str, start_s: float, users: list[np.ndarray], replies: list[np.ndarray]) -> str:
    heard_frames = user_frames = 0
    late_ms: list[float] = []
    onset_ms: list[float] = []
    for user, reply in itertools.product(users, replies):
        at = 1.2  # the user's file starts here; the reply starts `start_s` before their first word
        reply_at = at + first_speech_s(user) - start_s
        onsets: list[int] = []
        heard, spoke, _ = harness.run_session(user, at, [(reply, reply_at)], None, PATHS[path], onsets)
        first = int(np.flatnonzero(spoke)[0])
        heard_frames += int((heard & spoke)[first:].sum())
        user_frames += int(spoke[first:].sum())
        got = np.flatnonzero(heard[first:])
        late_ms.append(got[0] * FRAME_S * 1000 if got.size else float("inf"))
        # The onset that pauses the reply: the VAD's own onset may come a frame or two before Silero's.
        mine = [i for i in onsets if i >= first - 2]
        onset_ms.append((mine[0] - first) * FRAME_S * 1000 if mine else float("inf"))
    return f"{heard_frames} / {user_frames} heard; first heard {_ms(late_ms)}; onset {_ms(onset_ms)}"


def echo_onsets(path: str, replies: list[np.ndarray]) -> tuple[int, int]:
    """Onsets opened by the replies' echo alone, over one and two replies after silence or hiss."""
    rng = np.random.default_rng(0)
    onsets = sessions = 0
    for reply, before, count in itertools.product(replies, ("silence", "hiss"), (1, 2)):
        gap = reply.size / 22050 + 1.0
        noise = rng.normal(0, 60 if before == "hiss" else 0, int((0.7 + count * gap) * 16000))
        plays = [(reply, 0.7 + k * gap) for k in range(count)]
        _, _, found = harness.run_session(noise, 0.0, plays, None, PATHS[path])
        onsets, sessions = onsets + found, sessions + 1
    return onsets, sessions


def _paths(text: str) -> list[str]:
    names = text.split(",")
    if unknown := [n for n in names if n not in PATHS]:
        raise argparse.ArgumentTypeError(f"unknown echo path {', '.join(unknown)}; known: {', '.join(PATHS)}")
    return names


def _starts(text: str) -> list[float]:
    try:
        starts = [float(s) for s in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(f"starts must be seconds, comma-separated, got {text!r}") from None
    if any(s < 0 for s in starts):
        raise argparse.ArgumentTypeError("starts must be 0 or more seconds")
    return starts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--paths", type=_paths, default="none,d20,d6,room6", help=f"of {', '.join(PATHS)}")
    parser.add_argument(
        "--starts", type=_starts, default="0.1,0.3,0.5,0.8,1.2", help="s after the reply became audible"
    )
    args = parser.parse_args()
    cfg = load_config()
    voice = steady_voice(cfg.audio.output_sample_rate)
    replies = [voice.synthesize_sync(text) for text in REPLIES]
    users = [load(speech(name)) * 10 ** (-6 / 20) for name in USERS]
    for path in args.paths:
        for start in args.starts:
            cell = heard_cell(path, start, users, replies)
            print(f"{path:6} user starts {start:.1f} s in: {cell}", flush=True)
    for path in ECHO_ALONE:
        onsets, sessions = echo_onsets(path, replies)
        print(f"{path:6} echo alone: {onsets} onsets in {sessions} sessions", flush=True)


if __name__ == "__main__":
    main()
