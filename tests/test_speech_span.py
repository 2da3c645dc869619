"""The reference speech onset that `simulate` measures barge-in from must be the speech, not the hiss."""

from __future__ import annotations

import numpy as np

from assistant.audio import read_audio
from assistant.transports.simulate import speech_span_ms


def test_recording_hiss_before_speech_is_not_speech(speech):
    audio = read_audio(speech["goforward"])
    start, end = speech_span_ms(audio)
    # The first 480 ms hold only -55 dBFS background noise; the words start at about 500 ms.
    assert 480 <= start <= 520
    assert end <= audio.size / 16


def test_a_click_does_not_start_speech(speech):
    audio = read_audio(speech["forever"])
    start, _ = speech_span_ms(audio)
    clicked = audio.copy()
    clicked[:1600] = 0
    clicked[800:880] = 20000  # 5 ms click in silence, well before the words
    assert speech_span_ms(clicked)[0] == start


def test_silence_has_no_speech():
    assert speech_span_ms(np.zeros(16000, np.int16)) == (0.0, 0.0)
