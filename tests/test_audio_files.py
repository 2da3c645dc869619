"""Damaged input files: refused (or, when allowed, warned about) by name, never silently shortened.

Generated cases (hypothesis): WAVs of every PCM layout cut at any byte, with any header field corrupted,
and plain random bytes; real speech encoded to MP3, FLAC, Opus and AAC with bytes cut or overwritten.
The rule each time: a clear AudioFileError naming the file, or audio whose duration is what the file holds.
"""

from __future__ import annotations

import io
import struct
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import av
import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from test_bad_input import run_cli

from assistant.audio import read_audio
from assistant.audiofile import AudioFileError, load_audio

CASES = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
RATES = [8000, 11025, 16000, 22050, 44100, 48000]


def riff(chunks: list[tuple[bytes, bytes]], data_size: int | None = None) -> bytes:
    """A RIFF/WAVE file from (id, body) chunks; `data_size` overrides the data chunk's size field."""
    out = b""
    for cid, body in chunks:
        size = data_size if cid == b"data" and data_size is not None else len(body)
        out += cid + struct.pack("<I", size) + body + (b"\0" if len(body) & 1 else b"")
    return b"RIFF" + struct.pack("<I", 4 + len(out)) + b"WAVE" + out


def pcm_wav(rate: int, channels: int, width: int, frames: int, extra: bytes = b"") -> bytes:
    """A tone with a little noise in `channels` x `width`-byte PCM; `extra`: a chunk after the data."""
    t = np.arange(frames) / rate
    tone = (np.sin(2 * np.pi * 440 * t) * 0.3 + np.random.default_rng(frames).normal(0, 0.01, frames)).clip(
        -1, 1
    )
    levels = (tone * (2 ** (8 * width - 1) - 1)).astype(np.int64)
    if width == 1:
        levels += 128  # 8-bit WAV is unsigned
    samples = np.repeat(levels[:, None], channels, axis=1).reshape(-1)
    data = samples.astype("<i4").view(np.uint8).reshape(-1, 4)[:, :width].tobytes()  # little-endian
    fmt = struct.pack("<HHIIHH", 1, channels, rate, rate * channels * width, channels * width, 8 * width)
    chunks = [(b"fmt ", fmt), (b"data", data)]
    if extra:
        chunks.append((b"LIST", extra))
    return riff(chunks)


DATA_AT = 44
"""Where the audio starts in the files made here: RIFF header 12, fmt chunk 24, data chunk header 8."""


@dataclass(frozen=True)
class Wav:
    data: bytes = field(repr=False)
    rate: int
    frames: int
    block: int
    """Bytes per frame."""

    def __iter__(self) -> Iterator[Any]:
        return iter((self.data, self.rate, self.frames, self.block))


@st.composite
def wavs(draw: st.DrawFn) -> Wav:
    """A valid WAV of 0.15 to 0.6 s, maybe with a chunk after its data."""
    rate = draw(st.sampled_from(RATES))
    channels = draw(st.integers(1, 2))
    width = draw(st.sampled_from([1, 2, 3, 4]))
    frames = int(rate * draw(st.floats(0.15, 0.6)))
    extra = draw(st.sampled_from([b"", b"INFOISFT\x04\0\0\0test"]))
    return Wav(pcm_wav(rate, channels, width, frames, extra), rate, frames, channels * width)


def check_duration(samples: np.ndarray, frames: int, rate: int) -> None:
    """The decoded audio lasts what the file's data holds (to a few samples of resampling)."""
    expected = round(frames * 16000 / rate)
    assert abs(samples.size - expected) <= 3, (samples.size, expected, frames, rate)


@CASES
@given(wavs(), st.data())
def test_a_wav_cut_anywhere_is_refused_with_both_durations_or_read_whole(tmp_path, case, data):
    wav, rate, frames, block = case
    cut = data.draw(st.integers(1, len(wav)), label="cut")
    path = tmp_path / "cut.wav"
    path.write_bytes(wav[:cut])
    if cut >= DATA_AT + frames * block:  # only what follows the audio is missing
        check_duration(read_audio(path), frames, rate)
        return
    with pytest.raises(AudioFileError) as caught:
        read_audio(path)
    message = str(caught.value)
    assert message.startswith(f"{path}: "), message
    if cut >= 12:  # recognisably a WAV: said to be damaged, not just undecodable
        assert caught.value.damaged, message
    if cut >= DATA_AT:
        assert "truncated: the header says" in message and "the file holds" in message, message


@CASES
@given(wavs(), st.data())
def test_allowing_a_cut_wav_gives_what_it_holds_with_a_warning(tmp_path, case, data):
    wav, rate, frames, block = case
    cut = data.draw(st.integers(DATA_AT, DATA_AT + frames * block - 1), label="cut")
    path = tmp_path / "cut.wav"
    path.write_bytes(wav[:cut])
    try:
        decoded = load_audio(path, allow_damaged=True)
    except AudioFileError as exc:
        assert "too short" in str(exc)
        return
    check_duration(decoded.samples, (cut - DATA_AT) // block, rate)
    assert any(w.startswith(f"{path}: truncated") for w in decoded.warnings), decoded.warnings


FIELDS = {  # name: (offset, struct format) in a canonical 44-byte header
    "riff_size": (4, "<I"),
    "fmt_size": (16, "<I"),
    "format_tag": (20, "<H"),
    "channels": (22, "<H"),
    "rate": (24, "<I"),
    "byte_rate": (28, "<I"),
    "block_align": (32, "<H"),
    "bits": (34, "<H"),
    "data_size": (40, "<I"),
}


@CASES
@given(wavs(), st.sampled_from(sorted(FIELDS)), st.data())
def test_a_corrupt_header_field_is_refused_or_read_as_the_header_says(tmp_path, case, name, data):
    wav, rate, frames, block = case
    offset, layout = FIELDS[name]
    limit = 2 ** (8 * struct.calcsize(layout)) - 1
    original = struct.unpack_from(layout, wav, offset)[0]
    value = data.draw(
        st.one_of(
            st.sampled_from([0, 1, 2, 3, 8, 16, 255, limit]),
            st.integers(max(0, original - 8), min(limit, original + 8)),
            st.integers(0, limit),
        ),
        label=name,
    )
    assume(value != original)
    damaged = bytearray(wav)
    struct.pack_into(layout, damaged, offset, value)
    path = tmp_path / "field.wav"
    path.write_bytes(bytes(damaged))
    try:
        samples = read_audio(path)
    except AudioFileError as exc:
        assert str(exc).startswith(f"{path}: "), exc
        return
    tag, _, h_rate, _, h_block, _ = struct.unpack_from("<HHIIHH", damaged, 20)
    after = len(wav) - DATA_AT  # the audio, its pad byte and any chunk after it
    if name == "data_size":
        # Smaller than the audio: the rest reads as another chunk. 0 or 0xFFFFFFFF: "to the end of the
        # file" (a writer that could not seek back). Larger than the file: refused as truncated.
        longer = value // block > after // block
        assert value in (0, limit) or not longer, "a data chunk longer than the file must be refused"
        check_duration(samples, (after if value in (0, limit) else value) // block, rate)
    elif name in ("riff_size", "byte_rate", "fmt_size"):  # fields FFmpeg and the check rightly ignore
        check_duration(samples, frames, rate)
    elif tag in (1, 3, 0xFFFE):  # a layout that still describes PCM: read as the header says
        check_duration(samples, frames * block // h_block, h_rate)
    else:  # another codec's tag on PCM bytes: whatever it decodes, it decoded without an error
        assert samples.size >= 1600


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.binary(min_size=1, max_size=4000), st.sampled_from([b"", b"RIFF\x24\x08\0\0WAVEfmt ", b"OggS"]))
def test_random_bytes_are_refused_by_name(tmp_path, noise, prefix):
    path = tmp_path / "noise.wav"
    path.write_bytes(prefix + noise)
    with pytest.raises(AudioFileError) as caught:
        read_audio(path)
    assert str(path) in str(caught.value)


def encode(samples: np.ndarray, fmt: str, codec: str) -> bytes:
    """Real speech in a compressed format, as a person's recorder or phone would write it."""
    buf = io.BytesIO()
    with av.open(buf, "w", format=fmt) as out:
        stream = out.add_stream(codec, rate=48000 if codec == "libopus" else 16000)
        stream.layout = "mono"
        frame = av.AudioFrame.from_ndarray(samples.reshape(1, -1), format="s16", layout="mono")
        frame.rate = 16000
        resampler = av.AudioResampler(format=stream.format.name, layout="mono", rate=stream.rate)
        for piece in [*resampler.resample(frame), *resampler.resample(None)]:
            out.mux(stream.encode(piece))
        out.mux(stream.encode(None))
    return buf.getvalue()


@pytest.fixture(scope="module")
def compressed(speech) -> dict[str, bytes]:
    audio = read_audio(speech["goforward"])
    formats = {"mp3": ("mp3", "libmp3lame"), "flac": ("flac", "flac"), "opus": ("ogg", "libopus")}
    return {ext: encode(audio, fmt, codec) for ext, (fmt, codec) in formats.items()} | {"samples": audio}


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.sampled_from(["mp3", "flac", "opus"]), st.sampled_from(["cut", "overwrite"]), st.data())
def test_a_damaged_compressed_file_is_refused_or_decodes_whole(tmp_path, compressed, ext, how, data):
    original = compressed[ext]
    at = data.draw(st.integers(len(original) // 10, len(original) - 1), label="at")
    if how == "cut":
        damaged = original[:at]
    else:
        length = data.draw(st.integers(1, 400), label="length")
        noise = data.draw(st.binary(min_size=length, max_size=length), label="noise")
        damaged = original[:at] + noise + original[at + length :]
    assume(damaged != original)
    path = tmp_path / f"damaged.{ext}"
    path.write_bytes(damaged)
    try:
        samples = read_audio(path)
    except AudioFileError as exc:
        assert str(path) in str(exc)
        return
    full = compressed["samples"].size
    assert samples.size >= full - 1600, f"{ext} {how} at {at}: {samples.size} of {full} samples, no error"


def test_an_overwritten_ogg_page_header_is_refused_not_decoded_in_part(tmp_path, compressed):
    """Found by the test above: bytes written over an Opus page's segment table make FFmpeg skip the rest
    of the file without logging an error (2.8 s decoded to 1.0 s); the page chain shows it."""
    ogg = compressed["opus"]
    starts = [i for i in range(len(ogg)) if ogg.startswith(b"OggS", i)]
    assert len(starts) >= 4, "the encoded speech should span several Ogg pages"
    page = starts[len(starts) // 2]
    damaged = ogg[: page + 27] + bytes([255]) * 8 + ogg[page + 35 :]
    path = tmp_path / "overwritten.opus"
    path.write_bytes(damaged)
    with pytest.raises(AudioFileError) as caught:
        read_audio(path)
    assert str(path) in str(caught.value) and "Ogg page" in str(caught.value)
    allowed = load_audio(path, allow_damaged=True)
    assert allowed.warnings and allowed.samples.size < compressed["samples"].size


def test_the_cli_refuses_a_truncated_wav_with_both_durations_and_allows_it_on_request(tmp_path, speech):
    """The issue's case: a WAV whose header says 1.47 s and whose data holds 0.63 s."""
    audio = read_audio(speech["cards-003"])[: int(16000 * 1.47)]
    whole = pcm_wav(16000, 1, 2, 0)[:40] + struct.pack("<I", audio.size * 2) + audio.tobytes()
    path = tmp_path / "half_a_question.wav"
    path.write_bytes(whole[: 44 + int(16000 * 0.63) * 2])
    result = run_cli("simulate", str(path), "--quiet")
    assert result.returncode == 2
    assert "half_a_question.wav: truncated: the header says 1.47 s of audio" in result.stderr
    assert "the file holds 0.63 s" in result.stderr and "--allow-damaged" in result.stderr
    report = tmp_path / "r.json"
    result = run_cli("simulate", str(path), "--allow-damaged", "--quiet", "--report", str(report))
    assert result.returncode == 0, result.stderr
    assert "warning:" in result.stderr and "truncated" in result.stderr
    assert "truncated" in report.read_text()


def test_every_real_recording_we_have_is_accepted(speech):
    """No false alarms: the project's recordings and the shared real speech all decode without damage."""
    shared = Path("/work/shared/speech")
    paths = [*speech.values(), *(sorted(shared.rglob("*.wav")) if shared.is_dir() else [])]
    for path in paths:
        assert load_audio(path).warnings == [], path
