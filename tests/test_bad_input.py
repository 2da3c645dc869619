"""What a careless user feeds in: silence, empty, truncated or clipped files, odd sample rates."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

from assistant.asr.wer import normalise
from assistant.audio import AudioFileError, gain_db, read_audio, resample, write_wav
from assistant.engine import Conversation
from assistant.transports.simulate import simulate


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    cmd = [sys.executable, "-m", "assistant", *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=180)


def test_empty_and_truncated_files_are_refused_before_anything_runs(tmp_path, speech):
    empty = tmp_path / "empty.wav"
    empty.write_bytes(b"")
    truncated = tmp_path / "truncated.wav"
    truncated.write_bytes(speech["goforward"].read_bytes()[:300])
    junk = tmp_path / "junk.wav"
    junk.write_bytes(b"RIFF????WAVEfmt " + bytes(range(256)) * 4)
    text = tmp_path / "text.wav"  # a text file renamed: FFmpeg's own words, not its errno
    text.write_text("hello\n" * 20)
    for path, reason in [
        (text, r"text.wav: cannot decode audio \(Invalid data found when processing input\)$"),
        (empty, "empty"),
        (truncated, r"truncated: the header says 2.79 s of audio \(89160 bytes\), the file holds 0.01 s"),
        (junk, "ends inside its 'fmt ' chunk"),
    ]:
        with pytest.raises(AudioFileError, match=reason):
            read_audio(path)
    result = run_cli("simulate", str(speech["goforward"]), str(empty), "--report", str(tmp_path / "r.json"))
    assert result.returncode == 2
    assert "empty.wav: the file is empty" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "r.json").exists(), "nothing should start when one input is unusable"


def test_missing_file_and_bad_config_key(tmp_path):
    result = run_cli("simulate", str(tmp_path / "nope.wav"))
    assert result.returncode == 2 and "no such file" in result.stderr
    result = run_cli("simulate", "x.wav", "--set", "asr.modle=tiny")
    assert result.returncode == 2 and "asr.modle" in result.stderr
    result = run_cli("simulate", str(tmp_path))  # a folder: what to give instead
    assert result.returncode == 2 and f"{tmp_path}: is a folder; give the audio files in it" in result.stderr


def test_a_port_out_of_range_is_refused_before_anything_loads():
    """`serve --port 99999` listened on 34463 (99999 modulo 65536) and said so as if asked."""
    for given in ("99999", "-1", "65536", "80.5", "http"):
        result = run_cli("serve", "--port", given)
        assert result.returncode == 2 and "argument --port" in result.stderr, (given, result.stderr)
        assert "Loading models" not in result.stdout


def test_silence_only_produces_no_turn_and_says_so(tmp_path, silence_wav):
    report = tmp_path / "report.json"
    result = run_cli("simulate", str(silence_wav), "--report", str(report), "--quiet")
    assert result.returncode == 0, result.stderr
    data = json.loads(report.read_text())
    assert data["turns"] == []
    assert "no user speech was recognised" in " ".join(data["warnings"])


async def test_other_sample_rates_and_clipping_still_work(cfg, speech, tmp_path):
    """8 kHz, 44.1 kHz stereo and a badly clipped recording are all understood."""
    audio = read_audio(speech["goforward"])
    narrow = tmp_path / "phone_8k.wav"
    write_wav(narrow, resample(audio, 16000, 8000), 8000)
    cd = tmp_path / "cd_44k_stereo.wav"
    wide = resample(audio, 16000, 44100)
    write_wav(cd, np.stack([wide, wide], axis=1), 44100)
    clipped = tmp_path / "clipped.wav"
    write_wav(clipped, gain_db(read_audio(speech["cards-003"]), 24), 16000)
    result = await simulate(cfg, [narrow, cd, clipped], conversation=Conversation(cfg))
    texts = [normalise(t["user_text"]) for t in result.report["turns"]]
    assert texts[:2] == ["go forward ten meters", "go forward ten meters"], texts
    assert len(texts) == 3 and "clubs" in texts[2]


def test_outputs_go_into_new_folders_and_unwritable_ones_are_refused_first(tmp_path, speech):
    out = tmp_path / "new" / "folder"
    result = run_cli(
        "simulate",
        str(speech["cards-001"]),
        "--out",
        str(out / "c.wav"),
        "--report",
        str(out / "r.json"),
        "--quiet",
    )
    assert result.returncode == 0, result.stderr
    assert (out / "c.wav").stat().st_size > 44 and json.loads((out / "r.json").read_text())["turns"]
    result = run_cli("simulate", str(speech["cards-001"]), "--report", str(tmp_path))
    assert result.returncode == 2 and "cannot write" in result.stderr


def test_an_output_that_would_replace_an_input_or_cannot_be_written_is_refused_first(tmp_path, speech):
    """`--out` naming the input had overwritten the recording (rc 0); `--out` and `--report` naming one
    file had left only the JSON; and as root (Docker, CI) /proc passed the `os.access` check, so the run
    was lost after 20-30 s of work. Each is refused at once, before any model loads, and nothing is
    written."""
    recording = tmp_path / "cards.wav"
    recording.write_bytes(speech["cards-001"].read_bytes())
    before = recording.read_bytes()
    cases = [
        (["--out", str(recording)], "also an input"),
        (["--report", str(tmp_path / "." / "cards.wav")], "also an input"),
        (["--out", str(tmp_path / "x"), "--report", str(tmp_path / "x")], "the same file"),
        (["--report", "/proc/no-such-dir/r.json"], "cannot write"),
        (["--out", "/proc/assistant-test.wav"], "cannot write"),
    ]
    for flags, said in cases:
        started = time.monotonic()
        result = run_cli("simulate", str(recording), *flags, "--quiet")
        assert result.returncode == 2 and said in result.stderr, (flags, result.stderr)
        assert "Traceback" not in result.stderr and time.monotonic() - started < 20, flags
    assert recording.read_bytes() == before and not (tmp_path / "x").exists()


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_ctrl_c_ends_a_simulation_and_keeps_what_it_heard(tmp_path, speech, sig):
    """Ctrl+C had aborted inside llama.cpp ("terminate called without an active exception", rc -6) and
    SIGTERM killed the run, each with no report and no WAV. Now the run stops, writes both and exits 130."""
    inputs = [str(speech[name]) for name in ("goforward", "cards-003", "cards-001", "forever")]
    out, report = tmp_path / "c.wav", tmp_path / "r.json"
    cmd = [sys.executable, "-m", "assistant", "simulate", *inputs, "--out", str(out), "--report", str(report)]
    process = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(25)
    process.send_signal(sig)
    _, stderr = process.communicate(timeout=120)
    assert process.returncode == 130, stderr[-2000:]
    assert "Traceback" not in stderr and "terminate called" not in stderr, stderr[-2000:]
    data = json.loads(report.read_text())
    assert any("stopped before the input ended" in w for w in data["warnings"]), data["warnings"]
    assert out.stat().st_size > 44


@pytest.mark.parametrize(
    ("flags", "said"),
    [
        (["--echo", "40"], "give a gain up to 20 dB"),
        (["--echo", "nan"], "give a gain up to 20 dB"),
        (["--barge-in-after", "-1"], "give 0 to 600 s"),
        (["--barge-in-after", "inf"], "give 0 to 600 s"),
        (["--llm-url", "notaurl"], "llm.base_url must be an http:// or https:// address"),
    ],
)
def test_simulation_flags_out_of_range_are_refused_first(speech, flags, said):
    """These had run a whole simulation: a +40 dB echo (10 self-interruptions, rc 0), a NaN gain (a
    RuntimeWarning), a negative barge-in time, and a server address that was no address (rc 0 after
    the apology)."""
    result = run_cli("simulate", str(speech["cards-001"]), *flags, "--quiet")
    assert result.returncode == 2 and said in result.stderr, result.stderr
