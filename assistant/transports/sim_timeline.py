"""What a simulated run's events and speaker frames say, read after it: when the speaker was audible, where
each user turn ended, which input a turn answers, and barge-in measured from the interrupting recording's
own speech onset. Times are seconds on the engine's clock (the driver's ticks).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from assistant.engine import Conversation
from assistant.events import BargeIn, FinalTranscript, ReplyEnded, ReplySpoken, SpeechStopped

TICK_S = 0.05
"""Slack for the driver's tick: a clause's ReplySpoken is collected at the tick after it began."""


def audible_runs(
    frames: list[np.ndarray], times: list[float], frame_s: float, merge_s: float = 0.1
) -> list[tuple[float, float]]:
    """(start, end) of every stretch in which the speaker played something, gaps up to `merge_s` bridged.

    The times are those of the ticks that pulled each frame, so they share the engine's clock."""
    runs: list[list[float]] = []
    for frame, t in zip(frames, times, strict=True):
        if not np.any(frame):
            continue
        if runs and t - runs[-1][1] <= merge_s + 1e-6:
            runs[-1][1] = t + frame_s
        else:
            runs.append([t, t + frame_s])
    return [(a, b) for a, b in runs]


def endpoints_of(collected: list[tuple[float, Any]]) -> list[dict[str, Any]]:
    """Every end of a user turn: when it was judged over, its last voiced frame, and its words ("" when the
    turn gave nothing to answer). A FinalTranscript right after a SpeechStopped belongs to it."""
    out: list[dict[str, Any]] = []
    for now, event in collected:
        if isinstance(event, SpeechStopped):
            out.append({"at": now, "last_voiced": event.at, "text": ""})
        elif isinstance(event, FinalTranscript) and out and not out[-1]["text"]:
            out[-1]["text"] = event.text
    return out


def input_of(t: float, starts: list[float]) -> int | None:
    """The input that was playing (or had last played) at time t."""
    index = None
    for i, start in enumerate(starts):
        if start <= t + 1e-6:
            index = i
    return index


def turn_inputs(conv: Conversation, endpoints: list[dict[str, Any]], starts: list[float]) -> list[int | None]:
    """The input each turn record answers, found by the record's own last voiced frame. An engine that
    keeps no `record_times` (a baseline of scripts/bench_turns.py from before 6552c9f) is matched as it
    was then: the records in the order of the endpoints with words (shifted where a turn made no record)."""
    times = getattr(conv, "record_times", None)
    if times is None:
        times = [e["last_voiced"] for e in endpoints if e["text"]][: len(conv.records)]
    return [input_of(t, starts) for t in times]


def true_barge_in_times(
    records: list[dict[str, Any]], events: list[tuple[float, Any]], user_spans: list[tuple[float, float]]
) -> None:
    """Measure barge-in from the interrupting recording's real speech onset, not the engine's VAD onset.

    `events` are (clock time, event). The driver knows when each recording's speech began; the last
    BargeIn of each interrupted reply says when the speaker went silent for good (a pause that resumed
    over the user is not a stop), and its first ReplySpoken when the reply became audible. Interrupted
    records appear in the same order as interrupted ReplyEnded events. The interruption is the speech
    that began while the reply was audible: however late the engine heard it (under a loud echo the
    session's first reply went on 1.1 s over the user, and the engine, counting from its own late onset,
    said 81 ms). Speech that began before the reply was audible is the recording the reply answered,
    going on after a pause: the driver does not know where in it the interruption began, and the
    engine's own measure stays (it read 4.1 s from the file's first word).
    """
    last: dict[int, BargeIn] = {}
    audible_from: dict[int, float] = {}
    cut_replies: list[int] = []
    for t, event in events:
        if isinstance(event, BargeIn):
            last[event.reply_id] = event
        elif isinstance(event, ReplySpoken):
            audible_from.setdefault(event.reply_id, t)
        elif isinstance(event, ReplyEnded) and event.interrupted:
            cut_replies.append(event.reply_id)
    interrupted = [r for r in records if r.get("interrupted")]
    for record, reply_id in zip(interrupted, cut_replies, strict=False):
        if (barge_in := last.get(reply_id)) is None or (audible := audible_from.get(reply_id)) is None:
            continue
        stop = barge_in.stopped_at
        onsets = [a for a, b in user_spans if audible - TICK_S <= a <= stop <= b + 0.5]
        if onsets:
            record["timings_ms"]["barge_in"] = round(max(0.0, stop - max(onsets)) * 1000, 1)
