"""Reading speech files: decode any format, and refuse a damaged one by name instead of shortening it.

FFmpeg plays what a file holds: a WAV cut short decodes to its first half without a word, a corrupt MP3
frame is skipped. A file that says one thing and holds another is damage, found three ways:
- a WAV's RIFF chunks are read here first: a data chunk that declares more bytes than the file holds is
  truncated ("the header says 1.47 s, the file holds 0.63 s"), and a format chunk whose fields cannot
  describe PCM (no channels, an impossible rate, a block size that is not channels × sample size) is
  refused before FFmpeg guesses;
- an Ogg stream whose pages do not chain (a page missing, overwritten or cut off) or whose last page
  lacks the end-of-stream flag;
- while any file decodes: a packet that fails, an error FFmpeg logs (a bad CRC, a missing frame header),
  or audio that ends well before the duration the container declares (FLAC's STREAMINFO, an MP3's Xing
  frame count; not a duration FFmpeg only estimated from the bit rate);
- float samples that are not numbers (NaN, ±infinity: FFmpeg turns them into full-scale clicks, -32768)
  are damage; allowed, they are read as silence. Stored float PCM beyond full scale (|x| > 1) is not
  damage but is clipped, which a warning says with the count (a lossy decoder's small overshoot is not
  counted: it is the codec's, not the file's).

Damage raises AudioFileError(damaged=True) unless the caller allows it; then the audio that decoded is
returned with the problems as warnings. Sources: the RIFF/WAVE layout (Microsoft/IBM Multimedia
Programming Interface 1.0, RF64 in EBU Tech 3306), Ogg framing (RFC 3533, header_type 0x04).
"""

from __future__ import annotations

import struct
import threading
from dataclasses import dataclass, field
from pathlib import Path

import av
import av.logging
import numpy as np

MIN_RATE, MAX_RATE = 1000, 768000
MAX_CHANNELS = 64
SHORTFALL_S, SHORTFALL_FRACTION = 0.1, 0.02
"""Decoded audio may fall short of a compressed file's declared duration by encoder padding (an Opus
pre-skip is 6.5 ms, AAC priming 46 ms at 44.1 kHz); more than the larger of these two is damage."""
_UNKNOWN_SIZES = {0, 0xFFFFFFFF}
"""Data chunk sizes that writers streaming to a pipe leave when they cannot seek back: "read to the end"."""
_PCM_TAGS = {1, 3, 6, 7, 0xFFFE}
"""Integer PCM, IEEE float, A-law, mu-law and WAVE_FORMAT_EXTENSIBLE: one block is one frame."""
_LOG_LOCK = threading.Lock()
_FLOAT_FORMATS = {"flt", "fltp", "dbl", "dblp"}
"""FFmpeg's float sample formats (packed and planar), the only ones that can hold NaN or infinity."""


class AudioFileError(ValueError):
    """A file that cannot be used as speech input, with the reason in words.

    `damaged`: the file is readable but disagrees with itself (truncated, corrupt); callers may offer to
    go on with what decodes (`allow_damaged`)."""

    def __init__(self, message: str, damaged: bool = False) -> None:
        super().__init__(message)
        self.damaged = damaged


@dataclass
class DecodedAudio:
    samples: np.ndarray
    """Mono int16 at the requested rate."""
    warnings: list[str] = field(default_factory=list)
    """The damage that was allowed and samples that were clipped, one sentence each, naming the file."""


@dataclass(frozen=True)
class WavHeader:
    """What a WAV's chunks say, next to what the file holds."""

    format_tag: int
    channels: int
    rate: int
    byte_rate: int
    block_align: int
    bits: int
    declared_bytes: int | None
    """The data chunk's size; None when the writer could not know it (streamed)."""
    present_bytes: int
    """Bytes of the data chunk that are in the file."""

    def seconds(self, n_bytes: int) -> float:
        if self.format_tag in _PCM_TAGS:
            return (n_bytes // self.block_align) / self.rate
        return n_bytes / self.byte_rate if self.byte_rate else 0.0


def _fail(path: Path, reason: str) -> AudioFileError:
    return AudioFileError(f"{path}: {reason}", damaged=True)


def read_wav_header(path: Path) -> WavHeader | None:
    """The header of a RIFF/RIFX/RF64 WAVE file (None for any other file); raises AudioFileError when
    the chunks cannot be followed to the audio data or the format fields are impossible."""
    size = path.stat().st_size
    with path.open("rb") as f:
        head = f.read(12)
        if len(head) < 12 or head[:4] not in (b"RIFF", b"RIFX", b"RF64") or head[8:12] != b"WAVE":
            return None
        order = ">" if head[:4] == b"RIFX" else "<"
        fmt: tuple[int, ...] | None = None
        big_data: int | None = None
        pos = 12
        while True:
            chunk = f.read(8)
            if len(chunk) < 8:
                raise _fail(path, "the file ends before its audio data begins (no data chunk)")
            cid, csize = chunk[:4], struct.unpack(order + "I", chunk[4:])[0]
            body = pos + 8
            if cid == b"data":
                break
            if body + csize > size:
                raise _fail(path, f"the file ends inside its {cid.decode('latin-1')!r} chunk")
            if cid == b"fmt ":
                if csize < 16:
                    raise _fail(path, f"the format chunk is {csize} bytes, too short to describe audio")
                fmt = struct.unpack(order + "HHIIHH", f.read(16))
            elif cid == b"ds64" and csize >= 16:
                big_data = struct.unpack(order + "QQ", f.read(16))[1]
            pos = body + csize + (csize & 1)
            f.seek(pos)
    if fmt is None:
        raise _fail(path, "no format chunk before the audio data")
    tag, channels, rate, byte_rate, block_align, bits = fmt
    if not 1 <= channels <= MAX_CHANNELS:
        raise _fail(path, f"the header says {channels} channels")
    if not MIN_RATE <= rate <= MAX_RATE:
        raise _fail(path, f"the header says a sample rate of {rate} Hz")
    if block_align == 0:
        raise _fail(path, "the header says a block size of 0 bytes")
    if tag in _PCM_TAGS and (bits == 0 or block_align != channels * ((bits + 7) // 8)):
        raise _fail(
            path,
            f"the header's block size ({block_align} bytes) does not fit {channels} channel(s) "
            f"of {bits}-bit samples",
        )
    if big_data is not None and csize == 0xFFFFFFFF:
        csize = big_data
    declared = None if csize in _UNKNOWN_SIZES else csize
    return WavHeader(tag, channels, rate, byte_rate, block_align, bits, declared, size - body)


def wav_problem(path: Path, header: WavHeader) -> str | None:
    """A data chunk that the file holds only in part, said with both durations (and the bytes)."""
    if header.declared_bytes is None:
        return None
    align = header.block_align
    if header.present_bytes // align >= header.declared_bytes // align:
        return None
    return (
        f"truncated: the header says {header.seconds(header.declared_bytes):.2f} s of audio "
        f"({header.declared_bytes} bytes), the file holds {header.seconds(header.present_bytes):.2f} s "
        f"({header.present_bytes} bytes)"
    )


def ogg_problem(path: Path) -> str | None:
    """An Ogg stream (Vorbis, Opus, FLAC in Ogg) is a chain of pages (RFC 3533): each starts with "OggS"
    where the one before ended, numbered one after another within its stream, and the last is flagged
    end-of-stream. A page that breaks the chain was overwritten (FFmpeg then skips the rest of the file
    without an error: measured, a 2.8 s Opus file decoded to 1.0 s) or cut off."""
    data = path.read_bytes()
    if data[:4] != b"OggS":
        return None
    pos, last_flags, sequence = 0, 0, {}
    while pos < len(data):
        if len(data) - pos < 27 or len(data) - pos < 27 + data[pos + 26]:
            return f"cut short: the file ends inside an Ogg page header (byte {pos})"
        if data[pos : pos + 4] != b"OggS":
            return f"damaged: no Ogg page where one should start (byte {pos})"
        serial, number = struct.unpack_from("<II", data, pos + 14)
        if serial in sequence and number != sequence[serial] + 1:
            return f"damaged: Ogg page {number} follows page {sequence[serial]} (byte {pos})"
        sequence[serial], last_flags = number, data[pos + 5]
        header = 27 + data[pos + 26]
        body = sum(data[pos + 27 : pos + header])
        if len(data) - pos < header + body:
            return f"cut short: the last Ogg page holds {len(data) - pos - header} of its {body} bytes"
        pos += header + body
    if not last_flags & 0x04:
        return "cut short: the Ogg stream ends without its end-of-stream page"
    return None


@dataclass
class _FloatTally:
    """What the float samples of a decode held: values in all, not finite, and beyond full scale."""

    total: int = 0
    not_finite: int = 0
    beyond: int = 0
    peak: float = 0.0

    def check(self, frame: av.AudioFrame, stored_float: bool) -> av.AudioFrame:
        """Count `frame`'s samples (beyond full scale only when the file stores float PCM) and return it
        with any NaN or infinite sample replaced by silence and any beyond full scale clipped to it (FFmpeg
        makes NaN, infinity and values from 65536 up a -32768 click); other frames pass untouched."""
        if frame.format.name not in _FLOAT_FORMATS:
            return frame
        data = frame.to_ndarray()
        finite = np.isfinite(data)
        bad = data.size - int(np.count_nonzero(finite))
        magnitude = np.abs(np.where(finite, data, 0.0))
        beyond = int(np.count_nonzero(magnitude > 1.0))
        self.total += data.size
        self.not_finite += bad
        if stored_float:
            self.beyond += beyond
            self.peak = max(self.peak, float(magnitude.max(initial=0.0)))
        if not bad and not beyond:
            return frame
        clipped = np.clip(np.where(finite, data, 0), -1, 1).astype(data.dtype)
        clean = av.AudioFrame.from_ndarray(clipped, format=frame.format.name, layout=frame.layout.name)
        clean.sample_rate, clean.pts, clean.time_base = frame.sample_rate, frame.pts, frame.time_base
        return clean

    def problem(self, allowed: bool) -> str | None:
        """The NaN/infinity damage in words (saying they were zeroed when `allowed`), or None."""
        if not self.not_finite:
            return None
        said = f"damaged: {self.not_finite} of {self.total} samples are not finite numbers (NaN or infinity)"
        return said + ("; read as silence" if allowed else "")

    def note(self) -> str | None:
        """The clipping of float samples beyond full scale in words, or None."""
        if not self.beyond:
            return None
        return (
            f"{self.beyond} of {self.total} samples lie beyond full scale (peak {self.peak:.3g}, "
            "full scale 1.0); clipped"
        )


def decode(
    path: Path, sample_rate: int, allow_damaged: bool = False
) -> tuple[np.ndarray, list[str], list[str]]:
    """Decode to mono int16 at `sample_rate`, with the damage seen on the way (errors FFmpeg logged,
    packets that failed, NaN or infinite samples, audio that ends before the container's declared
    duration) and notes that are not damage (float samples clipped at full scale)."""
    problems: list[str] = []
    chunks: list[np.ndarray] = []
    floats = _FloatTally()
    with _LOG_LOCK:
        level, skip = av.logging.get_level(), av.logging.get_skip_repeated()
        av.logging.set_level(av.logging.WARNING)
        av.logging.set_skip_repeated(False)
        try:
            with av.logging.Capture() as logs, av.open(str(path)) as container:
                if not container.streams.audio:
                    raise AudioFileError(f"{path}: has no audio stream")
                stream = container.streams.audio[0]
                resampler = av.AudioResampler(format="s16", layout="mono", rate=sample_rate)
                codec = getattr(stream.codec_context, "name", None) or ""  # no context: an unknown codec
                stored_float = codec.startswith("pcm_f")
                failed = 0
                for packet in container.demux(stream):
                    try:
                        frames = packet.decode()
                    except av.error.FFmpegError:
                        failed += 1
                        continue
                    for frame in frames:
                        clean = floats.check(frame, stored_float)
                        chunks += [out.to_ndarray().reshape(-1) for out in resampler.resample(clean)]
                chunks += [out.to_ndarray().reshape(-1) for out in resampler.resample(None)]
                declared = container.duration / 1e6 if container.duration else None
        finally:
            av.logging.set_level(level)
            av.logging.set_skip_repeated(skip)
    samples = np.concatenate(chunks).astype(np.int16) if chunks else np.zeros(0, np.int16)
    errors = [text.strip() for lvl, _, text in logs if lvl <= av.logging.ERROR]
    if failed or errors:
        said = "; ".join(dict.fromkeys(errors))[:200]
        count = f"{failed} packet(s) failed to decode" if failed else f"{len(errors)} decoder error(s)"
        problems.append(f"damaged: {count}" + (f" ({said})" if said else ""))
    problems += [p for p in (floats.problem(allow_damaged),) if p]
    estimated = any("estimat" in text.lower() for _, _, text in logs)
    decoded_s = samples.size / sample_rate
    if declared and not estimated and declared - decoded_s > max(SHORTFALL_S, SHORTFALL_FRACTION * declared):
        problems.append(f"cut short: the file declares {declared:.2f} s of audio, {decoded_s:.2f} s decode")
    return samples, problems, [n for n in (floats.note(),) if n]


def load_audio(path: str | Path, sample_rate: int = 16000, allow_damaged: bool = False) -> DecodedAudio:
    """Decode any audio file (any rate, any channel count) to mono int16 at `sample_rate`.

    Raises AudioFileError naming the file when it is missing, empty, undecodable or too short (under
    100 ms), and, unless `allow_damaged`, when it is damaged (see the module's docstring: NaN or infinite
    samples are damage, read as silence when allowed); allowed damage and float samples clipped at full
    scale come back in `warnings`.
    """
    path = Path(path)
    if path.is_dir():
        raise AudioFileError(f"{path}: is a folder; give the audio files in it, e.g. {path}/*.wav")
    if not path.is_file():
        raise AudioFileError(f"{path}: no such file")
    if path.stat().st_size == 0:
        raise AudioFileError(f"{path}: the file is empty")
    problems: list[str] = []
    try:
        header = read_wav_header(path)
        problems += [p for p in (wav_problem(path, header) if header else ogg_problem(path),) if p]
        if problems and not allow_damaged:
            raise _fail(path, problems[0])
        samples, found, notes = decode(path, sample_rate, allow_damaged)
    except AudioFileError:
        raise
    except (av.error.FFmpegError, ValueError, OSError, struct.error) as exc:
        reason = getattr(exc, "strerror", None) or str(exc)  # FFmpeg's words, without its errno and the path
        raise AudioFileError(f"{path}: cannot decode audio ({reason})") from None
    if header is not None and header.format_tag in _PCM_TAGS:
        found = [p for p in found if not p.startswith("cut short")]  # the WAV check measured it exactly
    if found and not allow_damaged:
        raise _fail(path, found[0])
    if samples.size < sample_rate // 10:
        held = samples.size / sample_rate * 1000
        raise AudioFileError(f"{path}: holds {held:.0f} ms of audio, too short (at least 100 ms is needed)")
    return DecodedAudio(samples, [f"{path}: {p}" for p in dict.fromkeys(problems + found + notes)])
