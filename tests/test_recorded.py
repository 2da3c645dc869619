"""scripts/bench_mic.py's signal analysis (assistant/bench/recorded.py) on a made-up recording whose
onsets are known to the sample."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from assistant.audio import read_audio
from assistant.bench import recorded
from assistant.transports.simulate import speech_span_ms

RATE = 16000


def test_voice_to_voice_and_barge_in_read_off_a_recording_with_known_onsets(speech: dict[str, Path]) -> None:
    rng = np.random.default_rng(5)
    question, interruption = read_audio(speech["goforward"]), read_audio(speech["cards-003"])
    total = 12 * RATE
    left = (rng.standard_normal(total) * 20).astype(np.int16)  # a quiet room on the microphone side
    right = np.zeros(total, np.int16)  # the app's output is digital silence between replies
    q_at, i_at = 10_000, 80_000
    left[q_at : q_at + question.size] += question
    left[i_at : i_at + interruption.size] += interruption
    q_end = q_at + int(speech_span_ms(question)[1] * RATE / 1000)
    i_onset = i_at + int(speech_span_ms(interruption)[0] * RATE / 1000)
    reply_at = q_end + 11_111  # 694 ms after the question's speech
    stop_at = i_onset + 1_234  # 77 ms after the interruption's onset
    t = np.arange(stop_at - reply_at)
    voice = 3000 * np.sin(2 * np.pi * 220 * t / RATE) * (1 + np.sin(2 * np.pi * 3 * t / RATE))
    voice[4000:5000] = 0  # a 62 ms gap between words: still the same reply
    right[reply_at:stop_at] = voice.astype(np.int16)
    right[reply_at] = 100  # the first sample is audible
    runs = recorded.audible_runs(right, RATE)
    assert runs[0][0] == reply_at and len(runs) == 1
    assert abs(runs[0][1] - stop_at) <= 2
    q = recorded.place(left, question, speech_span_ms(question), RATE, q_at - 3000, q_at + 3 * RATE)
    i = recorded.place(left, interruption, speech_span_ms(interruption), RATE, i_at - 3000, i_at + 3 * RATE)
    assert (q.start, i.start) == (q_at, i_at) and q.score > 0.99 and i.score > 0.99
    assert q.speech[1] == q_end and i.speech[0] == i_onset
    first = recorded.reply_after(runs, q.speech[1], i.speech[0])
    assert (first - q.speech[1]) * 1000 / RATE == 11_111 / 16
    stop = recorded.stop_after_onset(runs, i.speech[0])
    assert stop is not None and abs((stop - i.speech[0]) * 1000 / RATE - 1_234 / 16) < 0.2
    # Nothing audible at an onset (the reply had ended): no barge-in to measure.
    assert recorded.stop_after_onset(runs, stop_at + 8000) is None
    assert recorded.reply_after(runs, stop_at) is None
