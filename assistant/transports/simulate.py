"""Drive a conversation with recorded speech in real time, as if a person spoke into the microphone.

The driver is a virtual duplex sound card ticking every frame: it pulls the speaker's frame, mixes it back
into the microphone when a loudspeaker is simulated (`echo_db`), and pushes the microphone frame in.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from assistant.audio import rms_dbfs, write_wav
from assistant.audiofile import load_audio
from assistant.config import Config
from assistant.engine import Conversation
from assistant.events import (
    BargeIn,
    ErrorOccurred,
    Resumed,
)
from assistant.transports.loudspeaker import Loudspeaker
from assistant.transports.sim_timeline import (
    audible_runs,
    endpoints_of,
    input_of,
    true_barge_in_times,
    turn_inputs,
)

MAX_DRIFT_PPM = 10_000.0
"""1 %: far beyond any two sound cards' clocks (tens to hundreds of ppm)."""
MAX_ECHO_DELAY_MS = 2000
"""Far beyond any loudspeaker's echo (a Bluetooth speaker's: 150-300 ms); the echo line holds a frame
for every 20 ms of it."""


MAX_ECHO_DB = 20.0
"""A loudspeaker's echo louder than this at the microphone is no room's (-6 dB is a loud laptop)."""
MAX_BARGE_IN_AFTER_S = 600.0


@dataclass
class SimulationOptions:
    barge_in_after_s: float | None = None
    """Start each following input this long after the reply's audio begins (interrupt it)."""
    echo_db: float | None = None
    """Mix the assistant's output back into the microphone at this gain (a loudspeaker)."""
    echo_delay_ms: int = 40
    echo_delays_ms: list[int] | None = None
    """Per input: the echo's delay from that input's start on (ms, whole frames), `echo_delay_ms` where the
    list ends. A path that moves between replies, as a PulseAudio loopback re-timed itself after a flush
    (40 → 48 ms) or a Bluetooth speaker renegotiates its buffer: the canceller learned the old delay."""
    echo_drift_ppm: float = 0.0
    """The microphone's clock runs this much faster than the speaker's (two USB devices: tens to hundreds
    of ppm; negative: slower), so the echo's delay drifts: at 100 ppm by 1 ms every 10 s. At most
    `MAX_DRIFT_PPM` either way."""
    gap_s: float = 0.8
    """Silence between the end of a reply and the next input."""
    gaps_s: list[float] | None = None
    """Per input after the first: its own gap (a person's pause varies); `gap_s` where the list ends."""
    speech_spans_ms: list[tuple[float, float] | None] | None = None
    """Per input: where its speech really starts and ends (ms into the file), when the file's level alone
    would mislead (claps after the words); None entries are measured by `speech_span_ms`."""
    reply_timeout_s: float = 25.0
    """Go on to the next input when no reply has been heard this long after an input ended."""
    reply_max_s: float = 120.0
    """Or when a reply that is being heard has not ended this long after the input: a person lets a long
    answer finish rather than talk over it after `reply_timeout_s`."""
    tail_s: float = 1.0
    allow_damaged: bool = False
    """Say what decodes of a truncated or corrupt input (with a warning) instead of refusing it."""
    before_input: Callable[[int], None] | None = None
    """Called with an input's index just before it starts (fault-injection tests switch faults here)."""
    stop: asyncio.Event | None = None
    """Set to end the run early (Ctrl+C): the result covers what happened until then, with a warning."""

    def __post_init__(self) -> None:
        if self.echo_db is not None and not (math.isfinite(self.echo_db) and self.echo_db <= MAX_ECHO_DB):
            raise ValueError(
                f"the echo's gain must be a number of dB up to {MAX_ECHO_DB:g}, got {self.echo_db!r}"
            )
        if self.barge_in_after_s is not None and not 0 <= self.barge_in_after_s <= MAX_BARGE_IN_AFTER_S:
            raise ValueError(
                f"barge-in after must be 0 to {MAX_BARGE_IN_AFTER_S:g} s of the reply, "
                f"got {self.barge_in_after_s!r}"
            )
        if not math.isfinite(self.echo_drift_ppm) or abs(self.echo_drift_ppm) > MAX_DRIFT_PPM:
            raise ValueError(
                f"echo_drift_ppm must be a number of ppm from -{MAX_DRIFT_PPM:g} to {MAX_DRIFT_PPM:g}, "
                f"got {self.echo_drift_ppm!r}"
            )
        for delay in [self.echo_delay_ms, *(self.echo_delays_ms or [])]:
            if not isinstance(delay, int) or not 0 <= delay <= MAX_ECHO_DELAY_MS:
                raise ValueError(f"an echo delay must be 0 to {MAX_ECHO_DELAY_MS} ms, got {delay!r}")


@dataclass
class _Input:
    path: Path
    audio: np.ndarray
    speech_start_ms: float
    speech_end_ms: float


@dataclass
class SimulationResult:
    report: dict[str, Any]
    mic: np.ndarray
    speaker: np.ndarray
    output_rate: int
    events: list[Any] = field(default_factory=list)
    event_times: list[float] = field(default_factory=list)
    """When each event was seen, in seconds from the start (to one frame)."""


def speech_span_ms(audio: np.ndarray, rate: int = 16000) -> tuple[float, float]:
    """Where the speech in a recording starts and ends: a reference the VAD is judged against.

    Speech is a run of at least 50 ms whose every 10 ms is 10 dB above the recording's noise floor (its
    10th-percentile level) and within 35 dB of its peak; a lone click or the hiss of a noisy recording
    does not count.
    """
    n = rate // 100
    chunks = audio[: audio.size // n * n].reshape(-1, n)
    if chunks.shape[0] == 0:
        return 0.0, 0.0
    levels = np.array([rms_dbfs(c) for c in chunks])
    threshold = max(float(np.percentile(levels, 10)) + 10, float(levels.max()) - 35, -60.0)
    above = levels > threshold
    run = 5
    starts = [i for i in range(above.size - run + 1) if above[i : i + run].all()]
    if not starts:
        return 0.0, 0.0
    return float(starts[0] * 10), float((starts[-1] + run) * 10)


def _span_so_far(
    span: tuple[float, float], item: _Input, pos: int, n: int, now: float, rate: int = 16000
) -> tuple[float, float]:
    """Stamp the user's speech span with the clock of the frames that carry its first and last sample.

    Stamping frames as they go out (not predicting from the start time) keeps the span right when the
    driver falls behind real time on a busy machine.
    """
    start, end = span
    first, last = int(item.speech_start_ms * rate / 1000), int(item.speech_end_ms * rate / 1000)
    if pos <= first < pos + n:
        start = now + (first - pos) / rate
    if pos <= last < pos + n or (end == float("inf") and pos + n >= item.audio.size):
        end = now + max(0, min(last, item.audio.size) - pos) / rate
    return start, end


def load_inputs(
    paths: list[Path],
    allow_damaged: bool = False,
    warnings: list[str] | None = None,
    spans_ms: list[tuple[float, float] | None] | None = None,
) -> list[_Input]:
    """Read every file before starting, so a bad one is refused up front and nothing is half done;
    allowed damage is added to `warnings`. `spans_ms`: known speech spans per file (None: measured from
    the level)."""
    inputs = []
    for i, path in enumerate(paths):
        decoded = load_audio(path, allow_damaged=allow_damaged)
        if warnings is not None:
            warnings += decoded.warnings
        known = spans_ms[i] if spans_ms and i < len(spans_ms) else None
        start, end = known if known is not None else speech_span_ms(decoded.samples)
        inputs.append(_Input(Path(path), decoded.samples, start, end))
    return inputs


def _gave_up(opts: SimulationOptions, waited: float, heard: bool) -> str | None:
    """Why the simulated person stops waiting `waited` s after an input ended (`heard`: some reply audio
    played), or None while they still wait."""
    if not heard and waited > opts.reply_timeout_s:
        return f"no reply within {opts.reply_timeout_s:.0f} s"
    if heard and waited > max(opts.reply_timeout_s, opts.reply_max_s):
        return f"the reply had not ended {max(opts.reply_timeout_s, opts.reply_max_s):.0f} s after the input"
    return None


def _gap_before(opts: SimulationOptions, idx: int) -> float:
    """The silence to leave after a reply before input `idx` (idx >= 1)."""
    if opts.gaps_s and idx - 1 < len(opts.gaps_s):
        return opts.gaps_s[idx - 1]
    return opts.gap_s


def _echo_delay_ms(opts: SimulationOptions, idx: int) -> int:
    """The echo's delay from input `idx` on, in ms."""
    if opts.echo_delays_ms and idx < len(opts.echo_delays_ms):
        return opts.echo_delays_ms[idx]
    return opts.echo_delay_ms


async def simulate(
    cfg: Config,
    paths: list[Path],
    options: SimulationOptions | None = None,
    conversation: Conversation | None = None,
) -> SimulationResult:
    opts = options or SimulationOptions()
    warnings: list[str] = []
    inputs = load_inputs(paths, opts.allow_damaged, warnings, opts.speech_spans_ms)
    conv = conversation or Conversation(cfg)
    await conv.start()
    events = conv.bus.subscribe(maxsize=100000)
    frame_ms = cfg.audio.frame_ms
    n_in = conv.frame_samples
    n_out = cfg.audio.output_sample_rate * frame_ms // 1000
    speaker = None
    if opts.echo_db is not None:
        speaker = Loudspeaker(
            cfg.audio.output_sample_rate,
            cfg.audio.sample_rate,
            frame_ms,
            opts.echo_db,
            _echo_delay_ms(opts, 0),
            opts.echo_drift_ppm,
        )
    mic_rec: list[np.ndarray] = []
    spk_rec: list[np.ndarray] = []
    user_spans: list[tuple[float, float]] = []
    input_times: list[list[float]] = []
    tick_times: list[float] = []
    collected: list[Any] = []

    idx, pos = 0, 0
    playing = False
    input_end_t: float | None = None
    reply_audio_t: float | None = None
    quiet_since: float | None = None
    next_start = 0.0
    finished_at: float | None = None
    t0 = time.monotonic()
    tick = 0
    try:
        while True:
            now = time.monotonic()
            out = conv.pull_output(n_out)
            audible = bool(np.any(out))
            mic = np.zeros(n_in, np.int16)
            if not playing and idx < len(inputs) and now - t0 >= next_start:
                if opts.before_input is not None:
                    opts.before_input(idx)
                if speaker is not None:
                    speaker.retime(_echo_delay_ms(opts, idx))
                playing, pos, next_start = True, 0, float("inf")
                user_spans.append((float("inf"), float("inf")))
                input_times.append([now, now])
            if playing:
                item = inputs[idx]
                chunk = item.audio[pos : pos + n_in]
                mic[: chunk.size] = chunk
                user_spans[-1] = _span_so_far(user_spans[-1], item, pos, n_in, now)
                pos += n_in
                if pos >= inputs[idx].audio.size:
                    input_times[-1][1] = now + n_in / 16000
                    playing, idx = False, idx + 1
                    input_end_t, reply_audio_t, quiet_since = now, None, None
            if speaker is not None:
                echo = speaker.echo(out)
                mic = np.clip(mic.astype(np.int32) + echo, -32768, 32767).astype(np.int16)
            conv.push_input(mic, out, now)
            mic_rec.append(mic)
            spk_rec.append(out)
            tick_times.append(now)
            while not events.empty():
                collected.append((now, events.get_nowait()))

            if not playing and input_end_t is not None:
                if audible and reply_audio_t is None:
                    reply_audio_t = now
                quiet = not audible and not conv.busy
                quiet_since = (quiet_since or now) if quiet else None
                waited = now - input_end_t
                if idx < len(inputs):
                    if opts.barge_in_after_s is not None and reply_audio_t is not None:
                        next_start = reply_audio_t + opts.barge_in_after_s - t0
                        input_end_t = None
                    elif (
                        quiet_since is not None
                        and now - quiet_since >= _gap_before(opts, idx)
                        and waited > 0.5
                    ):
                        next_start = now - t0
                        input_end_t = None
                    elif (late := _gave_up(opts, waited, reply_audio_t is not None)) is not None:
                        warnings.append(f"{inputs[idx - 1].path.name}: {late}")
                        next_start = now - t0
                        input_end_t = None
                else:
                    if quiet_since is not None and now - quiet_since >= opts.tail_s and waited > 0.5:
                        finished_at = now
                    elif (late := _gave_up(opts, waited, reply_audio_t is not None)) is not None:
                        warnings.append(f"{inputs[-1].path.name}: {late}")
                        finished_at = now
            if finished_at is not None:
                break
            if opts.stop is not None and opts.stop.is_set():
                warnings.append("stopped before the input ended: this covers what happened until then")
                break
            tick += 1
            delay = t0 + tick * frame_ms / 1000 - time.monotonic()
            await asyncio.sleep(max(0.0, delay))
    finally:
        await conv.close()
        events.close()

    barge_ins = [(t, e) for t, e in collected if isinstance(e, BargeIn)]
    true_barge_in_times(conv.records, collected, user_spans)
    onsets = [t - e.reaction_ms / 1000 for t, e in barge_ins]
    own_echo = [t for t in onsets if not any(a - 0.3 <= t <= b + 0.3 for a, b in user_spans)]
    if not conv.records:
        warnings.append("no user speech was recognised in the input")
    endpoints = endpoints_of(collected)
    starts = [a for a, _ in input_times]
    timeline = {
        "inputs": [
            {
                "file": item.path.name,
                "start_s": round(a - t0, 3),
                "end_s": round(b - t0, 3),
                "speech_start_s": round(span[0] - t0, 3),
                "speech_end_s": round(span[1] - t0, 3),
            }
            for item, (a, b), span in zip(inputs, input_times, user_spans, strict=False)
        ],
        "endpoints": [
            {
                "at_s": round(e["at"] - t0, 3),
                "last_voiced_s": round(e["last_voiced"] - t0, 3),
                "text": e["text"],
                "input": input_of(e["last_voiced"], starts),
            }
            for e in endpoints
        ],
        "reply_audio_s": [
            (round(a - t0, 3), round(b - t0, 3))
            for a, b in audible_runs(spk_rec, tick_times, frame_ms / 1000)
        ],
    }
    report = {
        "inputs": [str(i.path) for i in inputs],
        "config": {"asr": cfg.asr.model, "llm": f"{cfg.llm.backend}:{cfg.llm.model}", "vad": cfg.vad.engine},
        "turns": conv.records,
        "barge_ins": len(barge_ins),
        "false_interruptions_resumed": sum(1 for _, e in collected if isinstance(e, Resumed)),
        "self_interruptions": len(own_echo),
        "own_echoes_resumed": sum(1 for _, e in collected if isinstance(e, Resumed) and e.own_echo),
        "self_interruption_onsets_s": [round(t - t0, 2) for t in own_echo],
        "user_speech_s": [(round(a - t0, 2), round(b - t0, 2)) for a, b in user_spans],
        "turn_inputs": turn_inputs(conv, endpoints, starts),
        "timeline": timeline,
        "errors": [f"{e.source}: {e.message}" for _, e in collected if isinstance(e, ErrorOccurred)],
        "warnings": warnings,
    }
    return SimulationResult(
        report,
        np.concatenate(mic_rec) if mic_rec else np.zeros(0, np.int16),
        np.concatenate(spk_rec) if spk_rec else np.zeros(0, np.int16),
        cfg.audio.output_sample_rate,
        [e for _, e in collected],
        [round(t - t0, 3) for t, _ in collected],
    )


def write_conversation(result: SimulationResult, path: Path, mic_rate: int = 16000) -> None:
    """Stereo WAV: left is what the microphone heard, right is what the assistant said."""
    from assistant.audio import resample

    mic = resample(result.mic, mic_rate, result.output_rate)
    n = max(mic.size, result.speaker.size)
    stereo = np.zeros((n, 2), np.int16)
    stereo[: mic.size, 0] = mic
    stereo[: result.speaker.size, 1] = result.speaker
    write_wav(path, stereo, result.output_rate)
