"""Final transcripts of different conversations that come due together are decoded in one batched Whisper
call, on real speech, and each is the transcript its conversation gets alone."""

from __future__ import annotations

import asyncio
import threading

import numpy as np
import pytest
from conftest import references

from assistant.asr import Transcriber
from assistant.asr.streaming import BATCHES, StreamingRecognizer
from assistant.asr.wer import word_error_rate
from assistant.audio import read_audio
from assistant.workers import NORMAL, thread_for

RATE = 16000
LIBRIVOX = [f"sense_and_sensibility_01_austen_64kb-0{n}" for n in (870, 880, 890)]


@pytest.fixture(scope="module")
def transcriber() -> Transcriber:
    from assistant.config import load_config

    return Transcriber(load_config().asr)


def occupy_whisper(transcriber: Transcriber) -> threading.Event:
    """Keep Whisper's thread busy (another conversation's partial, say) until the event is set."""
    running, gate = threading.Event(), threading.Event()
    thread_for(transcriber.model, "whisper").submit(NORMAL, lambda: running.set() or gate.wait())
    assert running.wait(10)
    return gate


async def finals_together(recognizers: list[StreamingRecognizer], clips: list[np.ndarray]):
    gate = occupy_whisper(recognizers[0].transcriber)
    tasks = [asyncio.create_task(r.final(a)) for r, a in zip(recognizers, clips, strict=True)]
    await asyncio.sleep(0.1)  # every conversation's final is queued behind the busy thread
    gate.set()
    return await asyncio.gather(*tasks)


async def test_two_conversations_finals_are_one_batched_call(transcriber, speech):
    clips = [read_audio(speech["goforward"]), read_audio(speech["cards-002"])]
    recognizers = [StreamingRecognizer(transcriber) for _ in clips]
    before = len(BATCHES)
    batched = await finals_together(recognizers, clips)
    assert list(BATCHES)[before:] == [2]
    assert [f.batch for f in batched] == [2, 2]
    alone = [r.final_sync(a) for r, a in zip(recognizers, clips, strict=True)]
    assert [f.batch for f in alone] == [1, 1]
    assert [f.transcript.text for f in batched] == [f.transcript.text for f in alone]
    for name, final in zip(["goforward", "cards-002"], batched, strict=True):
        assert word_error_rate([references()[f"{name}.wav"]], [final.transcript.text]) <= 0.25


async def test_finals_group_by_window_and_prompt_and_match_their_unbatched_transcripts(transcriber, speech):
    """Four short turns (one silent) and a long streamed one come due together: the short ones share one
    call (no prompt, the same window); the long one decodes its tail with its own prompt, alone."""
    long_turn = np.concatenate([read_audio(speech[name]) for name in LIBRIVOX])
    shorts = [read_audio(speech[name]) for name in ("forever", "cards-001", "cards-004")]
    clips = [*shorts, np.zeros(2 * RATE, np.int16), long_turn]
    recognizers = [StreamingRecognizer(transcriber) for _ in clips]
    step = int(0.6 * RATE)
    for end in range(step, long_turn.size, step):  # the long turn's partials, as the engine runs them
        recognizers[-1].partial_sync(long_turn[:end])
    before = len(BATCHES)
    batched = await finals_together(recognizers, clips)
    assert sorted(list(BATCHES)[before:]) == [1, 4]
    assert [f.batch for f in batched] == [4, 4, 4, 4, 1]
    assert batched[-1].decoded_from_s > 0 and batched[3].transcript.text == ""
    alone = [r.final_sync(a) for r, a in zip(recognizers, clips, strict=True)]
    assert [f.transcript.text for f in batched] == [f.transcript.text for f in alone]
    refs = references()
    reference = " ".join(refs[f"{name}.wav"] for name in LIBRIVOX)
    assert word_error_rate([reference], [batched[-1].transcript.text]) < 0.15


async def test_a_second_look_in_a_batch_searches_each_conversations_own_encoding(transcriber, speech):
    """Two conversations' finals in one batch, both asking for the beam's alternatives: each gets the
    alternatives of its own audio (cut out of the batch's encoding), as it would alone (the same, bar
    the order of near-equal hypotheses)."""
    names = ["goforward", "cards-002"]
    clips = [read_audio(speech[name]) for name in names]
    recognizers = [StreamingRecognizer(transcriber) for _ in clips]
    gate = occupy_whisper(transcriber)
    tasks = [
        asyncio.create_task(r.final(a, second_look=lambda _: True))
        for r, a in zip(recognizers, clips, strict=True)
    ]
    await asyncio.sleep(0.1)
    gate.set()
    batched = await asyncio.gather(*tasks)
    assert [f.batch for f in batched] == [2, 2]
    alone = [r.final_sync(a, second_look=lambda _: True) for r, a in zip(recognizers, clips, strict=True)]
    for final, single in zip(batched, alone, strict=True):
        assert final.transcript.alternatives, final
        assert set(final.transcript.alternatives) & set(single.transcript.alternatives), (final, single)
    assert set(batched[0].transcript.alternatives).isdisjoint(batched[1].transcript.alternatives)
