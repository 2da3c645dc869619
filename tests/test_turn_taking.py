"""Turn-taking on real speech (issue 15): pauses, claps, backchannels, interruptions before any audio.

Real VAD, Whisper tiny.en, Smart Turn and Piper; a scripted LLM gives replies of a known length, since
what is tested is when turns end and what the report says, not what the model answers."""

from __future__ import annotations

import asyncio

import numpy as np
import pytest
from scripted import ScriptedLLM
from spoken import steady_voice

from assistant.asr import Transcriber
from assistant.asr.wer import normalise
from assistant.audio import read_audio, write_wav
from assistant.bench import edits
from assistant.engine import Conversation
from assistant.engine.endpointing import is_backchannel
from assistant.engine.hums import only_hums
from assistant.engine.output import OutputBuffer
from assistant.events import FinalTranscript, ReplyStarted, Resumed
from assistant.transports.simulate import SimulationOptions, simulate, speech_span_ms

RATE = 16000
THINKING = (
    "Let me think about that for a moment, because it is a good question, and the answer "
    "depends on what you mean by selfish and on who is asking."
)
"""A scripted reply long enough to still be playing when a burst comes 0.8 s in."""


def room_tone(audio: np.ndarray, seconds: float) -> np.ndarray:
    """The recording's own background: its three quietest 100 ms, repeated."""
    chunks = audio[: audio.size // 1600 * 1600].reshape(-1, 1600)
    quiet = chunks[np.argsort(np.sqrt(np.mean(chunks.astype(np.float64) ** 2, axis=1)))[:3]].ravel()
    return np.resize(quiet, int(seconds * RATE))


async def said_over_a_reply(cfg, first, then, after_s: float, reply: str):  # type: ignore[no-untyped-def]
    """`first` answered with the scripted `reply`, and `then` said `after_s` into that reply's audio."""
    llm = ScriptedLLM(reply)
    options = SimulationOptions(barge_in_after_s=after_s)
    return await simulate(cfg, [first, then], options, conversation=Conversation(cfg, llm=llm))


def claps(count: int = 5, spacing_s: float = 0.3, seed: int = 3) -> np.ndarray:
    """Hand-clap-like transients: broadband bursts with a 12 ms decay, `spacing_s` apart."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(spacing_s * RATE)) / RATE
    return np.concatenate(
        [rng.standard_normal(t.size) * np.exp(-t / 0.012) * 12000 for _ in range(count)]
    ).astype(np.int16)


@pytest.mark.parametrize("pause_s", [0.7, 1.5])
async def test_a_pause_after_an_unfinished_phrase_keeps_one_turn(cfg, speech, tmp_path, pause_s):
    """A real reading cut after "how much" (a word end found by Whisper), with its own room tone inserted."""
    audio = read_audio(speech["sense_and_sensibility_01_austen_64kb-0870"])
    words = Transcriber(cfg.asr).words_sync(audio, window_s=10).words
    cut = int(next(w for w in words if w.key == "much").end * RATE)
    path = tmp_path / "paused.wav"
    write_wav(path, np.concatenate([audio[:cut], room_tone(audio, pause_s), audio[cut:]]), RATE)
    conv = Conversation(cfg, llm=ScriptedLLM("I see."))
    report = (await simulate(cfg, [path], conversation=conv)).report
    assert len(report["turns"]) == 1, [t["user_text"] for t in report["turns"]]
    (turn,) = report["turns"]
    heard = normalise(turn["user_text"])
    assert "dashwood" in heard and "power" in heard, heard
    assert turn["user_audio_ms"] > 6000
    assert turn["end_of_turn"]["rule"] in ("complete", "complete_words", "unfinished"), turn["end_of_turn"]


@pytest.mark.parametrize("veto", [0.005, 0.99])
async def test_the_words_model_is_heard_before_the_turn_ends(cfg, speech, veto):
    """With `turn.words_model` on, the turn waits for the words' verdict: "Go forward ten meters" sounds
    finished and its words end a message, so it ends on the short silence; with a veto no words pass
    (0.99), the same turn waits the unfinished phrase's silence."""
    turn_cfg = cfg.turn.model_copy(update={"words_model": "bundled:smollm2-135m", "words_veto": veto})
    cfg = cfg.model_copy(update={"turn": turn_cfg})
    conv = Conversation(cfg, llm=ScriptedLLM("Ten meters is a fair way."))  # no "Okay.": no robot moved
    (turn,) = (await simulate(cfg, [speech["goforward"]], conversation=conv)).report["turns"]
    verdict = turn["end_of_turn"]
    assert verdict["probability"] >= cfg.turn.end_of_turn_threshold and verdict["words"] is not None, verdict
    assert turn["assistant_text"] == "Ten meters is a fair way.", turn  # started once the words were scored
    if veto < verdict["words"]:
        assert verdict["rule"] == "complete" and verdict["silence_ms"] == cfg.turn.endpoint_complete_ms
    else:
        assert verdict["rule"] == "unfinished_words", verdict
        assert verdict["silence_ms"] == cfg.turn.endpoint_incomplete_ms
        # The endpoint counts from the last speech, the silence from the frame after it (within frames).
        assert turn["timings_ms"]["endpoint"] > cfg.turn.endpoint_incomplete_ms - 100, turn["timings_ms"]


async def test_claps_after_a_question_neither_hold_the_turn_nor_move_its_timing(cfg, speech, tmp_path):
    question = read_audio(speech["goforward"])
    start, end = speech_span_ms(question)
    path = tmp_path / "claps.wav"
    gap = np.zeros(int(0.3 * RATE), np.int16)
    write_wav(path, np.concatenate([question[: int(end * RATE / 1000)], gap, claps(), gap]), RATE)
    conv = Conversation(cfg, llm=ScriptedLLM("Okay."))
    report = (await simulate(cfg, [path], conversation=conv)).report
    first = report["turns"][0]
    assert normalise(first["user_text"]) == "go forward ten meters"
    # The turn's speech ends with the words: 1.8 s of claps after them would make it ~3.5 s long.
    assert first["user_audio_ms"] < (end - start) + 300, first
    # The claps did not hold the turn open: it ended on the end-of-turn rule's short silence.
    assert first["end_of_turn"]["rule"] == "complete", first["end_of_turn"]
    # Nor, coming after that end, did they make a turn of their own.
    assert len(report["turns"]) == 1, [t["user_text"] for t in report["turns"]]


@pytest.mark.parametrize("delay_s", [0.15, 0.4])
async def test_knocks_after_a_finished_turn_are_not_a_turn(cfg, speech, tmp_path, delay_s):
    """A read sentence, then 1.5 s of knocks from `delay_s` after it, as the bench's claps pass makes them
    (four seeds): knocks that come after its turn ended open a turn (webrtcvad calls them voice) in which
    the speech model hears no speech; it is not transcribed (Whisper heard "Thank you." in such knocks,
    3 times in 8) and gets no reply."""
    from assistant.bench.edits import transients_after

    audio = read_audio(speech["sense_and_sensibility_01_austen_64kb-0930"])
    for seed in range(4):
        edit = transients_after(audio, speech_span_ms(audio), "knock", delay_s, seed=seed)
        path = tmp_path / f"knocks-{seed}.wav"
        write_wav(path, edit.audio, RATE)
        conv = Conversation(cfg, llm=ScriptedLLM("I see."))
        report = (await simulate(cfg, [path], conversation=conv)).report
        heard = [normalise(t["user_text"]) for t in report["turns"]]
        assert heard == ["he might even have been made amiable himself"], (seed, heard)


async def test_a_backchannel_resumes_the_reply_without_a_final_transcript(cfg, speech, tmp_path):
    """A spoken "Yeah." (Piper) while the reply plays: resumed from the burst's own short decode; the turn
    never reaches an endpoint, so no final transcript is published for it."""
    yeah = steady_voice(RATE).synthesize_sync("Yeah.")
    path = tmp_path / "yeah.wav"
    write_wav(path, np.concatenate([np.zeros(3200, np.int16), yeah, np.zeros(3200, np.int16)]), RATE)
    llm = ScriptedLLM(
        "Let me think about that for a moment, because it is a good question, and the answer "
        "depends on what you mean by selfish and on who is asking."
    )
    conv = Conversation(cfg, llm=llm)
    result = await simulate(
        cfg,
        [speech["sense_and_sensibility_01_austen_64kb-0890"], path],
        SimulationOptions(barge_in_after_s=0.8),
        conversation=conv,
    )
    (turn,) = result.report["turns"]
    assert not turn["interrupted"] and result.report["false_interruptions_resumed"] >= 1
    finals = [e.text for e in result.events if isinstance(e, FinalTranscript)]
    assert len(finals) == 1 and "selfish" in normalise(finals[0])
    assert any(isinstance(e, Resumed) for e in result.events)


def _hum(text: str) -> np.ndarray:
    """A hummed backchannel, int16 at 16 kHz: the bundled voice, noise off, a little faster than its
    default."""
    from assistant.config import load_config
    from assistant.tts import Synthesizer

    overrides = ["tts.noise_scale=0", "tts.noise_w=0", "tts.length_scale=0.8"]
    return Synthesizer(load_config(overrides=overrides).tts, RATE).synthesize_sync(text)


@pytest.mark.parametrize("text", ["Uh huh.", "Mm-hmm."])
async def test_a_hum_whisper_writes_as_words_resumes_the_reply(cfg, speech, tmp_path, text):
    """Hums that tiny.en writes as words on their own ("Uh-how...", "N M M"), said 0.8 s into a reply:
    read again with hums in Whisper's prompt they are hums (`asr/hums.py`), and the reply resumes
    (before, it was cut for words nobody said)."""
    path = tmp_path / "hum.wav"
    write_wav(path, np.concatenate([np.zeros(3200, np.int16), _hum(text), np.zeros(3200, np.int16)]), RATE)
    result = await said_over_a_reply(
        cfg, speech["sense_and_sensibility_01_austen_64kb-0890"], path, 0.8, THINKING
    )
    turns = result.report["turns"]
    said = [(t["user_text"], t["interrupted"]) for t in turns]
    assert len(turns) == 1 and not turns[0]["interrupted"], said
    resumed = [e.heard_text for e in result.events if isinstance(e, Resumed)]
    assert resumed, said
    assert all(is_backchannel(h) or only_hums(h) for h in resumed), resumed  # the hum, not "I have."


@pytest.mark.parametrize(("name", "word"), [("goforward", "forward"), ("cards-003", "clubs")])
async def test_a_false_start_over_the_reply_does_not_bring_it_back(cfg, speech, tmp_path, name, word):
    """A user who breaks off their first syllable and starts again ("g- go forward ten meters"): 100 ms of
    the recording's speech, 120 ms of its room tone (`edits`, as the bench's paused sentences), then the
    whole recording, 1.2 s into a reply.
    Whisper hears no word in the 100 ms, which is too short to judge: the reply stays paused until the
    user goes on (before, it came back over the user for the gap and stopped again at the next word:
    barge-in 300 and 490 ms from the signal instead of 80 and 70)."""
    audio = read_audio(speech[name])
    start = int(speech_span_ms(audio)[0] * RATE / 1000)
    false_start, _ = edits.splice([audio[: start + RATE // 10], edits.room_tone(audio, 0.14), audio[start:]])
    path = tmp_path / f"{name}-false-start.wav"
    write_wav(path, false_start, RATE)
    story = (
        "Well, let me tell you a long story about the sea, the ships that sail on it, the sailors "
        "who steer them through storms, and the harbours where they rest at night."
    )
    result = await said_over_a_reply(
        cfg, speech["sense_and_sensibility_01_austen_64kb-0880"], path, 1.2, story
    )
    turns = result.report["turns"]
    said = [(t["user_text"], t["interrupted"], t["timings_ms"].get("barge_in")) for t in turns]
    assert not any(isinstance(e, Resumed) for e in result.events), said
    assert len(turns) == 2 and turns[0]["interrupted"], said
    assert turns[0]["timings_ms"]["barge_in"] < 200, said
    assert word in normalise(turns[1]["user_text"]), said


async def test_an_interruption_before_any_reply_audio_reports_no_barge_in(cfg, speech):
    """The reply is released but silent (a slow model) when the user speaks again: it is interrupted, and
    the report has no barge-in time, because nothing audible was cut."""
    conv = Conversation(cfg, llm=ScriptedLLM("Well, that is a very good question indeed.", delay_s=0.6))
    events = conv.bus.subscribe(maxsize=10000)
    await conv.start()
    frame = conv.frame_samples
    n_out = cfg.audio.output_sample_rate * cfg.audio.frame_ms // 1000
    first, second = read_audio(speech["goforward"]), read_audio(speech["cards-005"])
    loop = asyncio.get_running_loop()
    released = False

    async def say(audio: np.ndarray | None, seconds: float = 0.0) -> None:
        nonlocal released
        samples = audio if audio is not None else np.zeros(int(seconds * RATE), np.int16)
        for i in range(0, samples.size - frame + 1, frame):
            conv.push_input(samples[i : i + frame], conv.pull_output(n_out), loop.time())
            while not events.empty():
                released |= isinstance(events.get_nowait(), ReplyStarted)
            if audio is None and released:
                return
            await asyncio.sleep(cfg.audio.frame_ms / 1000)

    try:
        await say(first)
        await say(None, 20.0)  # until the endpoint releases the reply
        assert released
        await say(second)
        await say(np.zeros(3 * RATE, np.int16))
    finally:
        await conv.close()
        events.close()
    cut = conv.records[0]
    assert cut["interrupted"] and cut["assistant_text"] == ""
    assert "barge_in" not in cut["timings_ms"], cut["timings_ms"]


def test_a_pause_before_any_audio_is_not_a_barge_in():
    output = OutputBuffer(16000)
    output.open(1)
    output.release(1)
    output.pause()
    output.pull(320)
    assert [n.kind for n in output.notices] == []
    output.resume()
    output.add(1, "Hello.", np.full(640, 1000, np.int16))
    output.pull(320)
    output.pause()
    output.pull(320)
    assert [n.kind for n in output.notices] == ["first_audio", "segment", "paused"]


async def test_each_turn_is_matched_to_the_input_it_answers(cfg, speech, tmp_path):
    """A lone "Stop." with nothing to stop ends a turn but makes no record; the bench still matches the
    question after it to its own input (it used to take the records in the order of the transcripts, so
    every later input got the words of the next)."""
    stop = steady_voice(RATE).synthesize_sync("Stop.")
    path = tmp_path / "stop.wav"
    write_wav(path, np.concatenate([np.zeros(3200, np.int16), stop, np.zeros(16000, np.int16)]), RATE)
    conv = Conversation(cfg, llm=ScriptedLLM("Okay."))
    report = (await simulate(cfg, [path, speech["goforward"]], conversation=conv)).report
    assert [normalise(t["user_text"]) for t in report["turns"]] == ["go forward ten meters"], report["turns"]
    assert report["turn_inputs"] == [1]
    stopped = [e for e in report["timeline"]["endpoints"] if e["text"]]
    assert [e["input"] for e in stopped] == [0, 1], stopped
