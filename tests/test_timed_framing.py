"""The desktop's echo reference by the clock (`assistant/transports/timed_framing.py`).

A simulated pair of PortAudio streams: the speaker's callback pulls 10 ms chunks that its device plays
40 ms later, prefilling four at once at start and after every barge-in flush (which restarts it); the
microphone's hands over 20 ms chunks 20 ms after capture, with jitter; the microphone hears the speaker
20 ms after it plays. The echo's lag behind the reference each microphone frame is paired with must stay
where it is, and positive, whatever the streams do. (The count-paired `InputFramer` does not: measured
through PulseAudio, its reference ended up 600-800 ms after its echo.)
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from assistant.transports.timed_framing import TimedFramer

RATE = 16000
CHUNK_OUT = 160  # the speaker's 10 ms
CHUNK_IN = 320  # the microphone's 20 ms


@dataclass
class Recorder:
    """Stands in for the conversation: keeps every frame and its reference."""

    frame_samples: int = 320
    frame_ms: int = 20
    frames: list[np.ndarray] = field(default_factory=list)
    refs: list[np.ndarray] = field(default_factory=list)

    def push_input(self, frame: np.ndarray, ref: np.ndarray) -> None:
        self.frames.append(frame)
        self.refs.append(ref)


def session(
    seconds: float, restarts: list[float], silent_s: float = 0.1, seed: int = 0
) -> list[tuple[float, str, np.ndarray]]:
    """Callbacks in the order they happen: (handed-over time, "played" or "mic", samples). At each of
    `restarts` the speaker stops for `silent_s` (a flush, a stall) and then prefills again."""
    rng = np.random.default_rng(seed)
    air = np.zeros(int((seconds + 1) * RATE))  # what the microphone hears, on the true clock
    events: list[tuple[float, str, np.ndarray]] = []
    stream_start = play_at = 0.0  # the device plays chunk after chunk
    restarts = sorted(restarts)
    while play_at < seconds:
        if restarts and play_at >= restarts[0]:
            stream_start = play_at = restarts.pop(0) + silent_s  # silent until it restarts
        chunk = (rng.normal(0, 3000, CHUNK_OUT) * (rng.random() > 0.3)).astype(np.int16)
        pulled = max(stream_start, play_at - 0.04)  # a (re)started stream prefills its 40 ms at once
        start = int((play_at + 0.02) * RATE)  # heard 20 ms after it plays
        air[start : start + CHUNK_OUT] += chunk
        events.append((pulled + rng.uniform(0, 0.004), "played", chunk))
        play_at += 0.01
    for j in range(int(seconds / 0.02)):
        captured = air[j * CHUNK_IN : (j + 1) * CHUNK_IN].astype(np.int16)
        events.append(((j + 1) * 0.02 + 0.02 + rng.uniform(0, 0.006), "mic", captured))
    return sorted(events, key=lambda e: e[0])


def lag_ms(frames: list[np.ndarray], refs: list[np.ndarray]) -> float:
    """How far the microphone's signal lags the paired reference, by cross-correlation (ms)."""
    mic = np.concatenate(frames).astype(np.float64)
    ref = np.concatenate(refs).astype(np.float64)
    n = 1 << int(np.ceil(np.log2(2 * mic.size)))
    c = np.fft.irfft(np.fft.rfft(mic, n) * np.conj(np.fft.rfft(ref, n)), n)
    lags = np.concatenate([np.arange(0, 8000), np.arange(-8000, 0)])
    window = np.concatenate([c[:8000], c[-8000:]])
    return 1000 * lags[int(np.argmax(np.abs(window)))] / RATE


def run(events: list[tuple[float, str, np.ndarray]]) -> Recorder:
    conv = Recorder()
    framer = TimedFramer(conv, RATE)  # type: ignore[arg-type]
    for at, kind, samples in events:
        getattr(framer, "played" if kind == "played" else "feed")(samples, at)
    return conv


def halves(conv: Recorder, restarts_at: float) -> tuple[float, float]:
    cut = int(restarts_at / 0.02)
    return lag_ms(conv.frames[:cut], conv.refs[:cut]), lag_ms(conv.frames[cut:], conv.refs[cut:])


def test_the_echo_stays_behind_its_reference_through_restarts() -> None:
    events = session(12.0, restarts=[4.0, 5.0, 6.0, 7.0, 8.0])
    before, after = halves(run(events), 8.5)
    assert 0 <= before <= 120 and 0 <= after <= 120, (before, after)
    assert abs(after - before) <= 20, (before, after)


def test_a_microphone_that_starts_late_is_paired_by_time() -> None:
    """The sound server starts the microphone's stream 1.5 s after the speaker's (seen through
    PulseAudio: 1.9 s); paired by count, the frames would get audio played up to a second before them."""
    events = [e for e in session(8.0, restarts=[]) if e[1] == "played" or e[0] >= 1.5]
    timed = run(events)
    lag = lag_ms(timed.frames, timed.refs)
    assert 0 <= lag <= 120, lag


def test_a_speaker_that_stalls_leaves_silence_not_a_shift() -> None:
    """The speaker's callbacks stop for a second (a busy machine) and its device runs dry: the reference
    is silent meanwhile and what it plays afterwards keeps its place."""
    before, after = halves(run(session(8.0, restarts=[3.0], silent_s=1.0)), 3.5)
    assert abs(after - before) <= 20, (before, after)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(st.floats(0, 0.2), st.sampled_from(["played", "mic"]), st.integers(0, 900)),
        min_size=1,
        max_size=60,
    )
)
def test_any_callbacks_give_whole_frames(calls: list[tuple[float, str, int]]) -> None:
    """Chunks of any size, stamped at any (increasing) times, in any mix: every frame handed on is 20 ms
    with a 20 ms reference, and none is made of audio that never came."""
    conv = Recorder()
    framer = TimedFramer(conv, RATE)
    at, mic_total = 0.0, 0
    for step, kind, size in calls:
        at += step
        chunk = np.ones(size, np.int16)
        if kind == "played":
            framer.played(chunk, at)
        else:
            framer.feed(chunk, at)
            mic_total += size
    assert all(f.shape == (320,) for f in conv.frames)
    assert all(r.shape == (320,) for r in conv.refs)
    assert len(conv.frames) == mic_total // 320
