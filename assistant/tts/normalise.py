"""The spoken form of a clause: "$49.95 after 8:00" -> "forty nine dollars and ninety five cents after
eight o'clock", "Dr." -> "doctor", "50%" -> "fifty percent", "21°C" -> "twenty one degrees Celsius".

Numbers, money, times, dates, ordinals, fractions, measures and abbreviations are NVIDIA NeMo's English
text normalisation (`nemo_text_processing` 1.2.0: weighted finite-state grammars written in pynini; Zhang,
Bakhturina, Gorman and Ginsburg, "NeMo Inverse Text Normalization: From Development to Production",
Interspeech 2021, describes the framework its TN grammars share). Around it:
a web address is said as its host ("example dot com"), a few symbols the grammars read literally ("#1",
"~5", "2 * 3") are put in words, and whatever is left that is not a word or punctuation is dropped.

Cost (2-core EPYC, shared with other work; scripts/bench_normalise.py). The grammars take 42 s to compile;
they are compiled once into the model cache (`python -m assistant.tts.grammar_worker --build`, at install)
and load in 0.6 s after (the worker process, from start to ready: 3-7 s on a busy machine). A clause costs
the grammars about 1 ms per character when the machine is quiet ("$49.95" 11 ms, "It costs $49.95 after
8:00 on 3/4." 37 ms, a plain 70-character sentence 32 ms for nothing), so only clauses that hold a digit,
a symbol or an abbreviation go to them; the rest cost 0.1 ms.

Where it runs. pynini holds the GIL while it composes: normalising in a thread of this process stalled
the event loop's thread 71 ms at the median and up to 463 ms (against 0.1-5 ms and at most 50 ms with the
worker, same run). So the grammars live in a worker process of their own (120 MiB), shared by every
conversation in this one. Until that process is ready, or if it fails, a clause's numbers are read by
num2words instead (plainer, but never a symbol aloud).
"""

from __future__ import annotations

import json
import logging
import os
import re
import select
import subprocess
import sys
import threading
import time
import unicodedata
from pathlib import Path

from num2words import num2words

from assistant.models import CACHE_DIR
from assistant.tts.markup import tidy

log = logging.getLogger(__name__)

GRAMMARS_DIR = CACHE_DIR / "nemo-tn-en-1.2.0"
"""Where the compiled grammars (.far files, about 60 MB) are kept."""

NEEDS_GRAMMARS = re.compile(
    r"[0-9$€£¥%°&@+=/×½¼¾]|\b(?:[A-Za-z]\.){2,}|\b(?:Dr|Mr|Mrs|Ms|Mt|St|Jr|Sr|Prof|vs|etc|approx|No)\.",
)
"""A clause the grammars must see: a digit, a symbol they read, "e.g."/"U.S."-like or a title."""

_URL = re.compile(r"\b(?:https?://|www\.)([^\s/?#]+)[^\s]*?(?=[.,;:!?)\]]*(?:\s|$))", re.IGNORECASE)
_LONG_NUMBER = re.compile(r"\d[\d,.]{20,}")
_BEFORE = [
    (re.compile(r"#(?=\d)"), "number "),
    (re.compile(r"~(?=\s?\d)"), "about "),
    (re.compile(r"(?<=\d)\s*[*×]\s*(?=\d)"), " times "),
    (re.compile(r"(?<=\d)\s+=\s+(?=\d)"), " equals "),
    (re.compile(r"(?<![\d.,:/–-])(\d{1,3})\s?[–-]\s?(\d{1,3})(?!\d)(?![.,:/–-]\d)"), r"\1 to \2"),
    (re.compile(r"\s[*#|]+\s"), " "),
]
_SHORT_DATE = re.compile(r"\b(on|by|until|till|since|due)\s+(\d{1,2})/(\d{1,2})\b(?![/\d])", re.IGNORECASE)
"""The grammars read "on 3/4" as "on three quarters"; after these words it is a date (month first, as in
the U.S. English of the voice): "on March 4" is what they then say as "on march fourth"."""
_MONTHS = "January February March April May June July August September October November December".split()
_MONEY_AND = re.compile(
    r"\b(dollars?|euros?|pounds?) (?=(?:[a-z]+ ){0,3}(?:cents?|pence|penny)\b)", re.IGNORECASE
)
_KEEP_PUNCTUATION = set(".,!?;:'\"-()")
_CACHE_SIZE = 4096
_WORKER_TIMEOUT_S = 5.0
_START_TIMEOUT_S = 180.0
"""A first start compiles the grammars (about 45 s here); a busy 2-core machine may take a few times that."""


def spoken(text: str, grammars: Grammars | None = None) -> str:
    """Written text (one clause, markup already removed) -> what Piper should read: words and punctuation
    only, no digits or symbols. `grammars`: the NeMo worker; None reads numbers with num2words. Never raises.
    """
    text = unicodedata.normalize("NFKC", text).replace("⁄", "/").replace("−", "-")
    text = _URL.sub(lambda m: _host(m.group(1)), text)
    text = _LONG_NUMBER.sub(" a long number ", text)
    for pattern, words in _BEFORE:
        text = pattern.sub(words, text)
    text = _SHORT_DATE.sub(_short_date, text)
    text = tidy(text)
    if NEEDS_GRAMMARS.search(text):
        said = grammars.normalise(text) if grammars is not None else None
        text = said if said is not None else _plain_numbers(text)
    text = _MONEY_AND.sub(r"\1 and ", text)
    text = re.sub(r"\d+", lambda m: _cardinal(m.group()), text)  # what the grammars left as digits
    kept = "".join(ch if _speakable_char(ch) else " " for ch in text)
    return tidy(kept) if any(ch.isalpha() for ch in kept) else ""


def _short_date(m: re.Match[str]) -> str:
    month, day = int(m.group(2)), int(m.group(3))
    return f"{m.group(1)} {_MONTHS[month - 1]} {day}" if 1 <= month <= 12 and 1 <= day <= 31 else m.group()


def _host(host: str) -> str:
    """The part of a web address a person says: "https://www.example.com/a?b=1" -> "example dot com"."""
    host = re.sub(r"^www\.", "", host, flags=re.IGNORECASE).split("@")[-1].split(":")[0]
    return " dot ".join(part for part in host.split(".") if part)


def _speakable_char(ch: str) -> bool:
    """Punctuation kept for prosody, spaces, and letters of a Latin alphabet: ASCII, Latin-1 and Latin
    Extended-A/B (up to U+024F), and accented letters whose base is one of those ("ệ", U+1EC7). Not
    phonetic symbols, which Unicode also names LATIN ("ɐ", U+0250, IPA Extensions): a reader spells
    them out or mangles them."""
    if ch in _KEEP_PUNCTUATION or ch.isspace():
        return True
    if ch.isascii():
        return ch.isalpha()
    base = unicodedata.normalize("NFKD", ch)[0]
    return ch.isalpha() and ord(base) <= 0x24F and unicodedata.name(ch, "").startswith("LATIN")


def _cardinal(digits: str) -> str:
    return num2words(int(digits)) if len(digits) <= 15 else " ".join(num2words(int(d)) for d in digits)


_MONEY = re.compile(r"([$€£])\s?(\d{1,3}(?:,\d{3})+|\d+)(?:\.(\d{2}))?(?!\.?\d)")
_BIG_MONEY = re.compile(r"([$€£])\s?(\d+(?:\.\d+)?)\s+(thousand|million|billion|trillion)\b")
_MONEY_NAMES = {"$": ("dollar", "dollars", "cent", "cents"), "€": ("euro", "euros", "cent", "cents"),
                "£": ("pound", "pounds", "penny", "pence")}  # fmt: skip
_CLOCK = re.compile(r"\b([01]?\d|2[0-3]):([0-5]\d)\b")


def _money(m: re.Match[str]) -> str:
    """ "$49.95" -> "49 dollars and 95 cents", "£1" -> "1 pound" (digits: read as numbers after)."""
    one, many, cent, cents = _MONEY_NAMES[m.group(1)]
    whole, part = int(m.group(2).replace(",", "")), int(m.group(3) or 0)
    cents_said = f"{part} {cent if part == 1 else cents}" if part else ""
    if whole == 0 and part:
        return f" {cents_said} "
    said = f" {whole} {one if whole == 1 else many}"
    return f"{said} and {cents_said} " if part else f"{said} "


def _clock(m: re.Match[str]) -> str:
    """ "8:00" -> "8 o'clock", "8:30" -> "8 30", "8:05" -> "8 oh 5"."""
    hour, minute = int(m.group(1)), int(m.group(2))
    return f"{hour} o'clock" if minute == 0 else f"{hour} {'oh ' if minute < 10 else ''}{minute}"


def _plain_numbers(text: str) -> str:
    """The fallback: "3.5" -> "three point five", "%" -> "percent", "$12" -> "twelve dollars", "8:00" ->
    "eight o'clock", "=" -> "equals", and so on, by num2words (the NeMo grammars, while they load or
    after they failed: the currency and the time had been dropped)."""
    text = _BIG_MONEY.sub(lambda m: f"{m.group(2)} {m.group(3)} {_MONEY_NAMES[m.group(1)][1]}", text)
    text = _MONEY.sub(_money, _CLOCK.sub(_clock, text))
    text = text.replace("%", " percent").replace("&", " and ").replace("@", " at ").replace("+", " plus ")
    text = re.sub(r"\s=\s", " equals ", text)
    text = re.sub(r"[$€£¥]", " ", text)
    return re.sub(
        r"\d+(?:\.\d+)?",
        lambda m: " " + num2words(float(m.group()) if "." in m.group() else int(m.group())) + " ",
        text,
    )


# ------------------------------------------------------------------ the worker process


class Grammars:
    """NeMo's English TN grammars in a worker process; `normalise()` is thread-safe and blocking.

    The process (`python assistant/tts/grammar_worker.py CACHE_DIR`) starts at construction and loads in the
    background. It is restarted after a crash or a call that takes longer than 5 s (a text the grammars
    choke on); after 3 failed starts in a row it is given up, and numbers are read by num2words.
    """

    def __init__(self, cache_dir: Path = GRAMMARS_DIR, ready_wait_s: float = 0.0) -> None:
        """`ready_wait_s`: how long a call waits for a start in progress before it falls back to num2words
        (loading compiled grammars takes 1-2 s, and a conversation starts them long before its first reply;
        compiling them, on a first start without the install step, about 45 s). By default, no wait: the
        voice never waits for the grammars. `wait_ready()` waits on purpose."""
        self.cache_dir = cache_dir
        self.ready_wait_s = ready_wait_s
        self.load_s: float | None = None
        """Seconds from start to ready (compiling the grammars the first time, loading them after)."""
        self.failures = 0
        self._failed_starts = 0
        self._lock = threading.Lock()
        self._cache: dict[str, str] = {}
        self._buffer = b""
        self._process: subprocess.Popen[bytes] | None = None
        self._ready = False
        self._start()

    def _start(self) -> None:
        self._t_start = time.monotonic()
        self._buffer, self._ready = b"", False
        self._process = subprocess.Popen(
            # Run as a script, not a module: it then imports NeMo and nothing of this package.
            [sys.executable, str(Path(__file__).with_name("grammar_worker.py")), str(self.cache_dir)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
        )

    def wait_ready(self, timeout: float = _START_TIMEOUT_S) -> bool:
        """Block until the grammars are loaded (True) or the timeout passes or they fail (False)."""
        with self._lock:
            return self._await_ready(timeout)

    def normalise(self, text: str) -> str | None:
        """The grammars' reading of `text`, or None if they are not ready (waiting up to `ready_wait_s`
        for a start in progress), failed or took too long. Readings are cached (a clause often recurs)."""
        if text in self._cache:
            return self._cache[text]
        said = self._ask(text)
        if said is not None:
            if len(self._cache) >= _CACHE_SIZE:
                self._cache.clear()
            self._cache[text] = said
        return said

    def _await_ready(self, timeout: float) -> bool:
        if self._ready or self._process is None:
            return self._ready
        line = self._read_line(timeout)
        if line is not None and json.loads(line).get("ready"):
            self._ready, self._failed_starts = True, 0
            self.load_s = time.monotonic() - self._t_start
        elif self._process.poll() is not None:
            self._failed_starts += 1
            self._restart(f"the text normaliser exited while loading (code {self._process.returncode})")
        return self._ready

    def _ask(self, text: str) -> str | None:
        with self._lock:
            if not self._await_ready(self.ready_wait_s):
                return None
            assert self._process is not None and self._process.stdin is not None
            try:
                self._process.stdin.write((json.dumps(text) + "\n").encode())
                self._process.stdin.flush()
            except OSError:
                self._restart("the text normaliser died")
                return None
            line = self._read_line(_WORKER_TIMEOUT_S)
            if line is None:
                self._restart(
                    f"the text normaliser gave no answer in {_WORKER_TIMEOUT_S:.0f} s for {text[:80]!r}"
                )
                return None
            answer = json.loads(line)
            if "ok" not in answer:
                self.failures += 1
                log.warning("text normalisation failed on %r: %s", text[:80], answer.get("error"))
                return None
            return str(answer["ok"])

    def _read_line(self, timeout: float) -> bytes | None:
        """One line from the worker, or None on timeout or when it has exited."""
        assert self._process is not None and self._process.stdout is not None
        fd = self._process.stdout.fileno()
        deadline = time.monotonic() + timeout
        while b"\n" not in self._buffer:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([fd], [], [], left)[0]:
                return None
            chunk = os.read(fd, 65536)
            if not chunk:
                return None
            self._buffer += chunk
        line, self._buffer = self._buffer.split(b"\n", 1)
        return line

    def _restart(self, why: str) -> None:
        self.failures += 1
        self.close()
        if self._failed_starts >= 3:
            log.error("%s; given up: numbers are read by num2words from now on", why)
            return
        log.warning("%s; restarting it", why)
        self._start()

    def close(self) -> None:
        """Stop the worker process (idempotent)."""
        process, self._process, self._ready = self._process, None, False
        if process is not None and process.poll() is None:
            process.kill()
            process.wait(5)
        for stream in (process.stdin, process.stdout) if process is not None else ():
            if stream is not None:
                stream.close()


_shared: Grammars | None = None
_shared_lock = threading.Lock()


def shared_grammars() -> Grammars:
    """The process-wide worker (started on first use, loading in the background)."""
    global _shared
    with _shared_lock:
        if _shared is None:
            _shared = Grammars()
        return _shared
