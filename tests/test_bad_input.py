"""What a careless user feeds in: silence, empty, truncated or clipped files, odd sample rates."""

from __future__ import annotations

import json
import subprocess
import sys

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
