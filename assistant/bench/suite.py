"""A benchmark suite: WAV files, each with a same-named `.txt` reference transcript.

Every file is read before anything runs, so a broken one is skipped with its reason up front instead of
failing halfway through a long benchmark.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from assistant.audio import AudioFileError, read_audio

DATA_DIR = Path(__file__).resolve().parents[2] / "tests" / "data"
"""The real speech fixtures (CMU Sphinx / LibriVox recordings) the built-in suite is made of."""
EXTRA_DIR = "asterisk"
"""Under DATA_DIR: 32 Asterisk prompts (CC-BY-SA 3.0) that the use-like passes add to the built-in suite."""


class BenchError(ValueError):
    """A benchmark that cannot run (no usable suite, bad options, unreadable results), said in words."""


@dataclass(frozen=True)
class SuiteFile:
    path: Path
    reference: str | None
    """None: no transcript, so the file counts for latency but not for WER."""
    audio_s: float


@dataclass
class Suite:
    name: str
    files: list[SuiteFile]
    barge_in: list[Path]
    """Said one after another, each interrupting the reply to the one before."""
    questions: list[Path]
    """Asked before a noise burst or a backchannel is played over the reply."""
    skipped: list[dict[str, str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    extra: list[SuiteFile] = field(default_factory=list)
    """More recordings for the use-like passes only (the built-in suite's tests/data/asterisk)."""

    @property
    def use_pool(self) -> list[SuiteFile]:
        """The recordings the use-like passes are built from."""
        return [*self.files, *self.extra]

    def reference(self, name: str) -> str | None:
        return next((f.reference for f in self.files if f.path.name == name), None)


def references(data_dir: Path = DATA_DIR) -> dict[str, str]:
    """The fixtures' reference transcripts, kept in one place: the table of their README."""
    refs = {}
    for line in (data_dir / "README.md").read_text().splitlines():
        match = re.match(r"\|\s*([\w.-]+\.wav)\s*\|\s*([^|]+?)\s*\|", line)
        if match:
            refs[match.group(1)] = match.group(2)
    return refs


def _read_transcript(wav: Path) -> tuple[str | None, str | None]:
    """The reference next to `wav`, or None and a note saying why it cannot be used."""
    txt = wav.with_suffix(".txt")
    if not txt.is_file():
        return None, f"{wav.name}: no transcript ({txt.name}); used for latency only"
    try:
        text = txt.read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError) as exc:
        return None, f"{wav.name}: cannot read {txt.name} ({exc}); used for latency only"
    if not text:
        return None, f"{wav.name}: {txt.name} is empty; used for latency only"
    return text, None


def _check(
    paths: list[Path], refs: dict[str, str] | None = None
) -> tuple[list[SuiteFile], list[dict[str, str]], list[str]]:
    """Usable files, skipped files with their reasons, and notes. `refs`: references given, not read."""
    files: list[SuiteFile] = []
    skipped: list[dict[str, str]] = []
    notes: list[str] = []
    for path in paths:
        try:
            audio = read_audio(path)
        except AudioFileError as exc:
            skipped.append({"file": path.name, "reason": str(exc).removeprefix(f"{path}: ")})
            continue
        if refs is None:
            reference, note = _read_transcript(path)
        else:
            reference = refs.get(path.name)
            note = None if reference else f"{path.name}: no reference transcript; used for latency only"
        if note:
            notes.append(note)
        files.append(SuiteFile(path, reference, audio.size / 16000))
    return files, skipped, notes


def load_suite(directory: str | Path) -> Suite:
    """Check a suite directory: unreadable WAVs are skipped (with the reason), a missing transcript noted."""
    root = Path(directory)
    if not root.is_dir():
        raise BenchError(f"suite {root}: no such directory")
    paths = sorted(p for p in root.iterdir() if p.suffix.lower() == ".wav" and p.is_file())
    files, skipped, notes = _check(paths)
    if not files:
        reason = "; ".join(f"{s['file']}: {s['reason']}" for s in skipped)
        raise BenchError(f"suite {root}: no usable WAV file" + (f" (skipped {reason})" if reason else ""))
    paths = [f.path for f in files]
    return Suite(str(root), files, barge_in=paths, questions=paths[:3], skipped=skipped, notes=notes)


def builtin_suite(data_dir: Path = DATA_DIR) -> Suite:
    """The project's real speech fixtures, with the long inputs and questions the old engine bench used."""
    if not (data_dir / "README.md").is_file():
        raise BenchError(f"the built-in suite lives in the repository's {data_dir}; pass --suite DIR")
    refs = references(data_dir)
    files, skipped, notes = _check([data_dir / name for name in refs], refs)
    if not files:
        raise BenchError(f"the built-in suite in {data_dir} has no usable WAV file")
    usable = {f.path.name: f.path for f in files}
    long_inputs = [n for n in usable if n.startswith("sense")] + ["goforward.wav", "forever.wav"]
    questions = [
        "sense_and_sensibility_01_austen_64kb-0890.wav",
        "forever.wav",
        "sense_and_sensibility_01_austen_64kb-0870.wav",
    ]
    extra: list[SuiteFile] = []
    if (data_dir / EXTRA_DIR).is_dir():
        paths = sorted(p for p in (data_dir / EXTRA_DIR).iterdir() if p.suffix.lower() == ".wav")
        extra, extra_skipped, extra_notes = _check(paths)
        skipped += extra_skipped
        notes += extra_notes
    return Suite(
        "built-in",
        files,
        barge_in=[usable[n] for n in long_inputs if n in usable],
        questions=[usable[n] for n in questions if n in usable],
        skipped=skipped,
        notes=notes,
        extra=extra,
    )
