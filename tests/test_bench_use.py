"""The use-like passes of `assistant bench`: the edits they make to real speech, the figures they read off
a conversation's timeline, and a run of four of them on a tiny suite of real recordings."""

from __future__ import annotations

import contextlib
import io
import json
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from assistant.asr.wer import word_error_rate
from assistant.audio import read_audio
from assistant.bench import edits
from assistant.bench.usestats import cases, summarise_use
from assistant.cli import main
from assistant.config import load_config
from assistant.models import HUB
from assistant.transports.simulate import speech_span_ms

DATA = Path(__file__).parent / "data"
SENTENCE = DATA / "asterisk" / "confbridge-lock-no-join.wav"
""""The conference is currently locked and cannot be joined.": nine words, a clear valley after each."""


@pytest.fixture(scope="module")
def whisper() -> Any:
    return HUB.whisper(load_config().asr)


@pytest.fixture(scope="module")
def sentence(whisper: Any) -> dict[str, Any]:
    audio = read_audio(SENTENCE)
    return {"audio": audio, "words": edits.words_of(audio, whisper), "span": speech_span_ms(audio)}


def test_a_pause_goes_in_at_a_word_boundary_and_is_filled_with_room_tone(sentence, whisper) -> None:
    audio, words = sentence["audio"], sentence["words"]
    edit = edits.insert_pause(audio, words, 1.2, sentence["span"], seed=3)
    assert edit is not None and edit.cut_s is not None
    cut = int(edit.cut_s * 16000)
    # At a word boundary: between two of Whisper's words, in the middle of the sentence, quiet there.
    before = [w for w in words if w.end_s <= edit.cut_s + 0.08]
    assert 0.3 * len(words) <= len(before) <= 0.7 * len(words)
    assert not before[-1].text.endswith((".", ",", "?", "!"))
    levels = edits.frame_levels(audio)
    assert levels[int(edit.cut_s * 100)] <= edits.speech_level_db(audio) - 12
    # The recording is untouched outside the pause, which is 1.2 s long (two 10 ms crossfades overlap it).
    fade = 160
    assert np.array_equal(edit.audio[: cut - fade], audio[: cut - fade])
    shift = edit.audio.size - audio.size
    assert abs(shift - 1.2 * 16000) <= 2
    assert np.array_equal(edit.audio[cut + shift + fade :], audio[cut + fade :])
    # Room tone, not silence: the recording's own floor, never digital zeros.
    tone = edit.audio[cut + fade : cut + shift - fade]
    assert np.count_nonzero(tone) > 0.5 * tone.size and tone.std() > 0
    tone_db = float(np.median(edits.frame_levels(tone)))
    quietest = float(edits.frame_levels(audio).min())
    assert quietest - 1 <= tone_db <= edits.noise_floor_db(audio) + 3, (tone_db, quietest)
    # The speech span moved with the pause, and Whisper hears the first part as the words before the cut.
    assert edit.speech_ms[1] == pytest.approx(sentence["span"][1] + shift / 16, abs=1)
    first = " ".join(w.text for w in edits.words_of(edit.audio[:cut], whisper))
    said = " ".join(w.text for w in before)
    assert word_error_rate([said], [first]) == 0, (said, first)


def test_room_tone_without_quiet_stretches_is_noise_at_the_floor() -> None:
    rng = np.random.default_rng(0)
    loud = (rng.standard_normal(16000) * 3000).astype(np.int16)
    tone = edits.room_tone(loud, 0.5)
    assert tone.size == 8000 and tone.std() > 0


def test_a_lone_first_word_is_cut_out_of_a_real_recording(whisper) -> None:
    audio = read_audio(DATA / "asterisk" / "conf-getpin.wav")  # "Please enter the conference pin number."
    edit = edits.first_word(audio, edits.words_of(audio, whisper))
    assert edit is not None
    heard = " ".join(w.text for w in edits.words_of(edit.audio, whisper))
    assert word_error_rate(["please"], [heard]) == 0, heard
    start, end = edit.speech_ms
    assert 150 <= start < end and end - start < 800 and edit.audio.size / 16 > end + 150


def test_claps_after_the_speech_leave_the_speech_alone() -> None:
    audio = read_audio(DATA / "goforward.wav")
    span = speech_span_ms(audio)
    edit = edits.transients_after(audio, span, "clap", 0.4, duration_s=1.5, seed=1)
    end = int(span[1] * 16)
    assert edit.speech_ms == span
    assert np.array_equal(edit.audio[: end - 100], audio[: end - 100])
    levels = edits.frame_levels(edit.audio)
    after = levels[int(span[1] / 10) :]
    loud = np.flatnonzero(after > -20) * 10  # ms after the speech
    assert loud.size and 390 <= loud[0] <= 420 and loud[-1] <= 400 + 1500 + 100  # each clap ~80 ms
    assert int(edit.description.split()[0]) >= 4  # 1.5 s of claps 0.2-0.35 s apart


def _timeline() -> dict[str, Any]:
    """A made-up conversation: a sentence split by its pause, then a question answered, then a backchannel
    said over the reply, which paused 80 ms after its onset and resumed 200 ms after its end."""
    return {
        "turns": [
            {"user_text": "I'm sorry I did", "assistant_text": "", "interrupted": True,
             "timings_ms": {"endpoint": 300, "asr_final": 250, "voice_to_voice": 700}},
            {"user_text": "not understand", "assistant_text": "Hello.", "interrupted": False,
             "timings_ms": {"endpoint": 400, "asr_final": 380, "voice_to_voice": 900},
             "eot_probability": 0.9},
        ],
        "turn_inputs": [0, 0],
        "false_interruptions_resumed": 1,
        "timeline": {
            "inputs": [
                {"start_s": 0.0, "speech_start_s": 0.2, "speech_end_s": 3.0, "end_s": 3.2},
                {"start_s": 6.0, "speech_start_s": 6.1, "speech_end_s": 6.5, "end_s": 6.6},
            ],
            "endpoints": [
                {"at_s": 1.5, "last_voiced_s": 1.2, "text": "I'm sorry I did", "input": 0},
                {"at_s": 3.4, "last_voiced_s": 3.0, "text": "not understand", "input": 0},
            ],
            "reply_audio_s": [[1.8, 2.0], [3.9, 6.18], [6.7, 8.0]],
        },
    }  # fmt: skip


def test_cases_read_splits_timings_and_backchannels_off_the_timeline() -> None:
    labels = [
        {
            "name": "sorry+1.2s",
            "kind": "paused",
            "speech_s": 2.8,
            "reference": "I'm sorry I did not understand",
        },
        {"name": "mm-hmm", "kind": "backchannel", "speech_s": 0.4},
    ]
    paused, bc = cases("pauses", labels, _timeline(), 120, 0)
    assert paused["split"] is True and paused["turns"] == 2 and paused["endpoints"] == 2
    assert paused["endpoint_from_speech"] == pytest.approx(400)
    assert paused["v2v_signal"] == pytest.approx(900)  # the reply after the closing endpoint, not the first
    assert paused["voice_to_voice"] == 900 and paused["final_pass"] == 260 and paused["bucket"] == "2-5s"
    assert paused["final_pass_source"] == "estimated" and paused["engine"] == {"eot_probability": 0.9}
    assert paused["wer"] == 0
    assert bc["reply_at_onset"] and bc["paused"] and bc["resume_after_end"] == pytest.approx(200)
    assert bc["pause_after_onset"] == pytest.approx(80) and bc["reply_lost"] is False
    assert paused["carried_on"] is False and paused["answered_wer"] == pytest.approx(4 / 6)
    summary = summarise_use([paused, bc])["pauses"]
    assert summary["splits"] == 1 and summary["cases"] == 1 and summary["carried_on"] == 0
    # The same split carried on: the last turn answered both halves, whose words it holds alone.
    report = _timeline()
    report["turns"][0]["continued"] = True
    report["turns"][1] |= {"continues": True, "user_text": "I'm sorry I did not understand"}
    carried, _ = cases("pauses", labels, report, 120, 0)
    assert carried["carried_on"] is True and carried["wer"] == 0 and carried["answered_wer"] == 0
    assert summarise_use([carried])["pauses"]["carried_on"] == 1
    # The reply talked over was cut instead: lost, not resumed.
    report = _timeline()
    report["turns"][1]["interrupted"] = True
    _, bc = cases("backchannel", labels, report, 120, 0)
    assert bc["reply_lost"] is True and bc["resumed"] is False and bc["resume_after_end"] is None
    figures = summarise_use([bc])["backchannel"]["backchannels"]
    assert figures["runs"] == 1 and figures["paused"] == 1 and figures["replies_lost"] == 1


def test_a_command_that_made_no_turn_is_heard_as_its_final_transcript() -> None:
    """A lone "Stop." with nothing to stop makes no turn record: its endpoint's words are what it said."""
    report = _timeline()
    report["turns"], report["turn_inputs"] = [], []
    report["timeline"]["endpoints"] = [{"at_s": 3.4, "last_voiced_s": 3.0, "text": "Stop.", "input": 0}]
    label = {"name": "Stop-piper", "kind": "piper", "speech_s": 0.4, "reference": "Stop."}
    (case,) = cases("short", [label], report, 120, 0)
    assert case["turns"] == 0 and case["heard"] == case["answered"] == "Stop."
    assert case["wer"] == case["answered_wer"] == 0
    report["timeline"]["endpoints"][0]["text"] = "Stap"
    (misheard,) = cases("short", [label], report, 120, 0)
    assert misheard["wer"] == misheard["answered_wer"] == 1


def test_the_engines_final_pass_is_used_when_it_reports_one() -> None:
    report = _timeline()
    report["turns"][1]["timings_ms"]["speculation"] = 130
    (case,) = cases("pauses", [{"name": "x", "kind": "paused", "speech_s": 2.8}], report, 120, 0)
    assert case["final_pass"] == 250 and case["final_pass_source"] == "engine"


def run_cli(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(list(args))
    return code, out.getvalue(), err.getvalue()


@pytest.fixture(scope="module")
def use_run(tmp_path_factory: pytest.TempPathFactory, speech: dict[str, Path]) -> dict[str, Any]:
    """Four use-like passes over four real recordings, one with a transcript that has one word wrong."""
    suite = tmp_path_factory.mktemp("suite")
    for name in ("cards-003", "goforward", "sense_and_sensibility_01_austen_64kb-0930"):
        shutil.copy(speech[name], suite / f"{name}.wav")
    (suite / "cards-003.txt").write_text("seven of clubs")
    (suite / "goforward.txt").write_text("go forward ten meters")
    (suite / "sense_and_sensibility_01_austen_64kb-0930.txt").write_text(
        "he might even have been made amiable himself"
    )
    shutil.copy(DATA / "asterisk" / "vm-sorry.wav", suite / "vm-sorry.wav")
    (suite / "vm-sorry.txt").write_text("I'm sorry I did not understand your request.")  # "response"
    out = tmp_path_factory.mktemp("bench")
    args = ["bench", "--suite", str(suite), "--passes", "multiturn,pauses,claps,backchannel"]
    code, stdout, stderr = run_cli(*args, "--set", "llm.temperature=0", "--out", str(out))
    assert code == 0, stderr
    return {"out": out, "stdout": stdout, "results": json.loads((out / "results.json").read_text())}


def test_use_passes_cover_the_suite(use_run: dict[str, Any]) -> None:
    results = use_run["results"]
    by_pass: dict[str, list[dict[str, Any]]] = {}
    for case in results["cases"]:
        by_pass.setdefault(case["pass"], []).append(case)
    multiturn = {c["name"]: c for c in by_pass["multiturn"]}
    names = {
        "cards-003.wav",
        "goforward.wav",
        "sense_and_sensibility_01_austen_64kb-0930.wav",
        "vm-sorry.wav",
    }
    assert set(multiturn) == names
    assert multiturn["cards-003.wav"]["bucket"] == "<2s" and multiturn["vm-sorry.wav"]["bucket"] == "2-5s"
    # Two sentences have five words or more: each gets a pause, 0.6 then 0.9 s.
    assert sorted(c["pause_s"] for c in by_pass["pauses"]) == [0.6, 0.9]
    # Three utterances of 1.5-6 s, each plain and with claps or knocks.
    kinds = sorted(c["kind"] for c in by_pass["claps"])
    assert kinds == ["clap", "clap", "knock", "plain", "plain", "plain"]
    assert sum(c["kind"] == "backchannel" for c in by_pass["backchannel"]) == 4
    # The one wrong word of the transcript shows in the multi-turn pass's WER.
    sorry = multiturn["vm-sorry.wav"]
    assert sorry["wer"] == pytest.approx(
        word_error_rate(["I'm sorry I did not understand your request."], [sorry["heard"]])
    )
    assert sorry["wer"] >= 1 / 8


def test_signal_and_engine_timings_agree_where_they_should(use_run: dict[str, Any]) -> None:
    """The engine counts from its last voiced frame, the signal from the real end of the speech: their
    difference is exactly how far apart those two are on the conversation's clock (20 ms ticks)."""
    results = use_run["results"]
    checked = 0
    for case in results["cases"]:
        if case.get("kind") == "backchannel" or None in (case.get("v2v_signal"), case.get("voice_to_voice")):
            continue  # no reply, or a reply still playing when the conversation ended (no engine record)
        scenario = results["scenarios"][case["scenario"]]
        timeline = scenario["timeline"]
        index = case["input"]
        closing = [e for e in timeline["endpoints"] if e["input"] == index and e["text"]][-1]
        gap_ms = (closing["last_voiced_s"] - timeline["inputs"][index]["speech_end_s"]) * 1000
        # The signal counts the first reply audio, which may be the "One moment." filler; the engine's
        # voice_to_voice counts the answer and reports the filler apart.
        first_audio = case.get("filler") or case["voice_to_voice"]
        assert case["v2v_signal"] - first_audio == pytest.approx(gap_ms, abs=45), case
        assert case["endpoint_from_speech"] >= 0 and case["v2v_signal"] >= case["endpoint_from_speech"] - 45
        checked += 1
    assert checked >= 6


def test_use_summary_report_and_table(use_run: dict[str, Any]) -> None:
    results, out = use_run["results"], use_run["out"]
    use = results["summary"]["use"]
    assert set(use) == {"multiturn", "pauses", "claps", "backchannel"}
    assert use["multiturn"]["cases"] == 4 and set(use["multiturn"]["buckets"]) == {"<2s", "2-5s"}
    assert use["pauses"]["splits"] == sum(c["split"] for c in results["cases"] if c["pass"] == "pauses")
    assert set(use["claps"]["by_kind"]) == {"plain", "clap", "knock"}
    assert use["backchannel"]["backchannels"]["runs"] == 4
    assert "multiturn <2s: voice-to-voice from the speech (ms)" in use_run["stdout"]
    report = (out / "report.md").read_text()
    assert "## Use-like passes" in report and "vm-sorry+0.9s" in report.replace(
        "vm-sorry+0.6s", "vm-sorry+0.9s"
    )
