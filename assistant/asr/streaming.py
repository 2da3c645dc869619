"""Streaming recognition of one user turn: the final pass decodes only what is not committed yet.

While the user speaks, partial passes decode the uncommitted audio (after a few seconds of committed
audio for context) with the earlier committed words as the decoder's prompt, and LocalAgreement-2
(`agreement.py`) commits what two passes in a row agree on. At the end of the turn the final pass decodes
only that: the context and the uncommitted tail, a few seconds in Whisper's 10 s window, so a 40 s
monologue ends as fast as a 2 s question (a turn that fits the window, up to 8 s, is decoded whole: the
same window costs the same); of the context it decodes again, its own reading is kept, since it hears
what follows, as the partials that committed it had not. Audio that runs on without agreement
(`max_uncommitted_s`) commits the words that end well before its end, so a decode never outgrows the
window.

Times are seconds from the turn's first sample; audio is 16 kHz int16.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import numpy as np

from assistant.asr.agreement import LocalAgreement, Word, join_words
from assistant.asr.decoding import Clip, Decoded, Transcript
from assistant.asr.fallback import beam_fallback
from assistant.asr.hallucination import doubled_end, looks_invented
from assistant.asr.hums import HUM_PROMPT
from assistant.asr.whisper import Transcriber
from assistant.workers import NORMAL, URGENT, run_batched, run_on

RATE = 16000


@dataclass(frozen=True)
class FinalPass:
    """The turn's final transcript and what its final pass decoded."""

    transcript: Transcript
    decoded_from_s: float
    """Where the decoded tail starts in the turn's audio (0: the whole turn was decoded)."""
    decoded_ms: float
    """How much audio the final pass decoded (the uncommitted tail)."""
    window_s: float
    committed_words: int
    batch: int = 1
    """How many conversations' final passes shared its first decode (one batched Whisper call)."""


class StreamingRecognizer:
    """One turn's committed words, and the audio the next decode starts from."""

    LEFT_OUT_S = 1.5
    """Speech this long after a decode's last word was left out by Whisper: decode it on its own."""

    def __init__(
        self,
        transcriber: Transcriber,
        context_s: float = 3.0,
        max_uncommitted_s: float = 5.0,
        keep_uncommitted_s: float = 2.0,
        whole_s: float = 8.0,
        vocabulary: str = "",
    ) -> None:
        """`context_s`: committed audio decoded again before the uncommitted tail, as acoustic context
        (cutting right at a committed word's end, whose time is approximate, clipped the next word).
        `max_uncommitted_s`: past this much audio without agreement, the words that end more than
        `keep_uncommitted_s` before the end are committed anyway. `whole_s`: a turn this short is decoded
        whole by the final pass, since it fits the 10 s window, whose cost hardly depends on how much of
        it is speech; committed words then only served the partials (on 32 short real recordings the
        seams cost 2 points of WER: 6.3 % against 4.3 % offline). `vocabulary`: the tools' words, for one
        more hypothesis on a second look (`biasing.py`)."""
        self._transcriber = transcriber
        self._agreement = LocalAgreement()
        self._context_s = context_s
        self._max_uncommitted_s = max_uncommitted_s
        self._keep_uncommitted_s = keep_uncommitted_s
        self._whole_s = whole_s
        self._vocabulary = vocabulary
        self.passes = 0

    @property
    def transcriber(self) -> Transcriber:
        return self._transcriber

    @property
    def committed(self) -> list[Word]:
        return list(self._agreement.committed)

    @property
    def text(self) -> str:
        """The running transcript: committed words, then the last pass's other words."""
        return join_words(self._agreement.committed + self._agreement.pending)

    def cut(self, audio: np.ndarray) -> tuple[float, str]:
        """Where the next decode starts (s) and the committed words said before it (its prompt).

        The decode starts at the quiet point before the first committed word of the last `context_s`
        seconds of committed speech; words decoded again there are dropped by LocalAgreement's seam."""
        committed = self._agreement.committed
        if not committed:
            return 0.0, ""
        first = self._context_from()
        start = _quiet_point(audio, max(0.0, committed[first].start - 0.05))
        return start, join_words(committed[:first])

    def _context_from(self) -> int:
        """The first committed word of the last `context_s` seconds of committed speech (0 without any)."""
        committed = self._agreement.committed
        first = max(0, len(committed) - 1)
        while first > 0 and committed[first - 1].start >= self._agreement.committed_end - self._context_s:
            first -= 1
        return first

    def partial_sync(self, audio: np.ndarray) -> str:
        """Blocking: decode from the cut, commit what agrees with the last pass; the running text."""
        start, prompt = self.cut(audio)
        decoded = self._decode(audio, start, prompt)
        self.passes += 1
        self._agreement.insert(decoded.words)
        end_s = audio.size / RATE
        if end_s - self._agreement.committed_end > self._max_uncommitted_s:
            settled = [w for w in self._agreement.pending if w.end < end_s - self._keep_uncommitted_s]
            self._agreement.commit_all(settled)
        return self.text

    def final_cut(self, audio: np.ndarray) -> tuple[float, str]:
        """Where the final pass decodes from (s) and its prompt: a turn of up to `whole_s` is decoded
        whole, since it fits the window (all of it costs the same, and it has no seams)."""
        return (0.0, "") if audio.size <= self._whole_s * RATE else self.cut(audio)

    def final_clip(self, audio: np.ndarray) -> Clip:
        """The final pass's first decode, ready to be batched with other conversations' (`finals_sync`)."""
        start, prompt = self.final_cut(audio)
        return self._transcriber.clip(audio[int(start * RATE) :], prompt, start)

    def final_sync(
        self,
        audio: np.ndarray,
        second_look: Callable[[str], bool] | None = None,
        first: Decoded | None = None,
        batch: int = 1,
        hum_look: Callable[[str], bool] | None = None,
    ) -> FinalPass:
        """Blocking: decode from the cut (a little context and the uncommitted tail); the committed
        words before the context are kept as they are, the context is the final pass's reading
        (`_context_read_again`). A turn of up to `whole_s` is decoded whole.

        Nothing is committed here, since the user may go on speaking. A decode Whisper was unsure of is
        searched again with a beam (`fallback.beam_fallback`). `second_look(text)`: when it asks,
        the decoded tail is decoded again with a beam for the tools' alternatives (rare: near misses).
        `first`: the decode of `final_clip(audio)`, done already (in a batch of `batch`). `hum_look(text)`:
        when it asks, the clip is decoded again with hums in the prompt (`hums.py`), into
        `Transcript.hummed`."""
        start, prompt = self.final_cut(audio)
        decoded = self._decode(audio, start, prompt, first, keep=True)
        decoded = beam_fallback(self._transcriber, decoded) or decoded
        if audio.size <= self._whole_s * RATE:
            words = decoded.words
        else:
            words = self._context_read_again(decoded.words)
        if said_twice := doubled_end([w.key for w in words]):
            words = words[:-said_twice]
        text = join_words(words)
        if not self._agreement.committed and looks_invented(text, audio):
            text = ""
        alternatives: tuple[str, ...] = ()
        rehear = None
        if text and second_look is not None:
            if second_look(text):
                alternatives = self._alternatives(audio, start, prompt, text, decoded)
            else:
                rehear = self._later(audio, start, prompt, text, decoded)
        hummed = None
        if hum_look is not None and hum_look(text):
            hummed = self._transcriber.reread(decoded, HUM_PROMPT)
        transcript = Transcript(text, audio.size / 16.0, decoded.compute_ms, alternatives, rehear, hummed)
        return FinalPass(
            transcript, start, decoded.audio_ms, decoded.window_s, len(self._agreement.committed), batch
        )

    def _context_read_again(self, decoded: list[Word]) -> list[Word]:
        """The committed words before the cut, then the final pass's reading of the context and the tail,
        where that reading holds every committed word of the context, in order.

        The final pass hears the context (the last `context_s` of committed speech) with all the speech
        after it, which the partial passes that committed it had not: where two partials agreed on a
        skipped phrase, LocalAgreement had committed the skip ("first three letters party's", for
        "letters of your party's", in an asterisk-dev prompt), and the final pass's reading adds it back.
        It may add words, never drop or change committed ones: where it lacks one, Whisper skipped or
        misheard it this time (it once read "letters of first name" where two partials had agreed on
        "of your party's"), and the committed words stay, with the words after them."""
        committed = self._agreement.committed
        first = self._context_from()
        said = iter(w.key for w in decoded)
        if all(w.key in said for w in committed[first:]):
            return committed[:first] + decoded
        return committed + self._agreement.after_seam(decoded)

    def _later(
        self, audio: np.ndarray, start: float, before: str, text: str, decoded: Decoded
    ) -> Callable[[], Awaitable[tuple[str, ...]]]:
        """`_alternatives` on Whisper's thread when asked: the second look for a transcript whose tool
        call the tool could not read, found only after the final pass (one beam search from the kept
        encoding; nothing is spent on the turns that never ask)."""
        model = self._transcriber.model

        async def rehear() -> tuple[str, ...]:
            args = (audio, start, before, text, decoded)
            return await run_on(model, "whisper", self._alternatives, *args, priority=URGENT)

        return rehear

    def _alternatives(
        self, audio: np.ndarray, start: float, before: str, text: str, decoded: Decoded
    ) -> tuple[str, ...]:
        """The beam's hypotheses for the audio from the cut at `start` (s), and the one decoded with the
        tools' words in the prompt (`biasing.py`), each after `before`, the words said before the cut;
        those that differ from `text`, best first.

        Only the final pass's tail is searched again, from the encoding its first decode made
        (`Transcriber.beam`), so a near miss costs one beam search at any length: decoding a whole turn
        again took 1.3-2.4 s for 15-38 s turns (2-core AMD EPYC, tiny.en), and encoding the tail anew
        150-240 ms for 3-7 s. Where the tail was decoded in two parts (speech Whisper left out), it is
        decoded again whole."""
        tails = self._transcriber.beam(decoded, vocabulary=self._vocabulary)
        if tails is None:
            tail = audio[int(start * RATE) :]
            again = self._transcriber.transcribe_sync(
                tail, short_guard=False, second_look=lambda _: True, vocabulary=self._vocabulary
            )
            tails = [again.text, *again.alternatives]
        head = before.strip()
        said = [f"{head} {a}" if head else a for a in tails if a]
        return tuple(a for a in dict.fromkeys(said) if a != text)

    def _decode(
        self, audio: np.ndarray, start: float, prompt: str, first: Decoded | None = None, keep: bool = False
    ) -> Decoded:
        """Decode from `start` (`first`: that decode, done already); when Whisper stops early (it often
        ends at a long pause and leaves the speech after it out), decode what follows its last word once
        more and append it. `keep`: the decode keeps its encoding for the beam (`Transcriber.beam`)."""
        transcriber = self._transcriber
        clip = audio[int(start * RATE) :]
        decoded = first or transcriber.decode_clips([transcriber.clip(clip, prompt, start)], keep)[0]
        last = decoded.words[-1].end if decoded.words else start
        rest = audio[int(last * RATE) :]
        if rest.size < self.LEFT_OUT_S * RATE or not _holds_speech(rest):
            return decoded
        more = self._transcriber.words_sync(rest, join_words(self._agreement.committed + decoded.words), last)
        return Decoded(
            decoded.words + more.words,
            decoded.audio_ms,
            max(decoded.window_s, more.window_s),
            decoded.compute_ms + more.compute_ms,
        )

    async def partial(self, audio: np.ndarray) -> str:
        """`partial_sync` on Whisper's thread, after anything urgent."""
        return await run_on(self._transcriber.model, "whisper", self.partial_sync, audio, priority=NORMAL)

    async def final(
        self,
        audio: np.ndarray,
        second_look: Callable[[str], bool] | None = None,
        hum_look: Callable[[str], bool] | None = None,
    ) -> FinalPass:
        """`final_sync` on Whisper's thread, before other conversations' partials, batched with the
        final passes of other conversations queued there meanwhile (`finals_sync`)."""
        request = FinalRequest(self, audio, second_look, hum_look)
        result: FinalPass = await run_batched(
            self._transcriber.model, "whisper", finals_sync, request, priority=URGENT
        )
        return result


@dataclass(frozen=True)
class FinalRequest:
    """One conversation's final pass, waiting for Whisper's thread."""

    recognizer: StreamingRecognizer
    audio: np.ndarray
    second_look: Callable[[str], bool] | None = None
    hum_look: Callable[[str], bool] | None = None


BATCHES: deque[int] = deque(maxlen=1000)
"""Sizes of the recent batched first decodes of final passes (1: decoded alone), for tests and benches."""


def finals_sync(requests: list[FinalRequest]) -> list[FinalPass]:
    """Blocking, on Whisper's thread: several conversations' final passes, their first decodes batched.

    Continuous batching at the scale of a turn: the finals that came due while the thread was busy
    (`workers.ModelThread.submit_batch`) are encoded and decoded together, grouped by window and prompt
    length (CTranslate2 needs both equal; a short turn, decoded whole without a prompt, always fits).
    Greedy decoding makes each transcript the one it gets alone. What few turns need after it (speech
    Whisper left out, the beam fallback, the beam's second look) runs per conversation."""
    clips = [r.recognizer.final_clip(r.audio) for r in requests]
    groups: dict[tuple[int, int, str], list[int]] = {}
    for i, clip in enumerate(clips):
        groups.setdefault((clip.frames, len(clip.prompt_ids), clip.tokenizer.language_code), []).append(i)
    firsts: dict[int, tuple[Decoded, int]] = {}
    for members in groups.values():
        transcriber = requests[members[0]].recognizer.transcriber
        BATCHES.append(len(members))
        decoded_all = transcriber.decode_clips([clips[i] for i in members], keep_encoding=True)
        for i, decoded in zip(members, decoded_all, strict=True):
            firsts[i] = (decoded, len(members))
    return [
        r.recognizer.final_sync(r.audio, r.second_look, *firsts[i], hum_look=r.hum_look)
        for i, r in enumerate(requests)
    ]


def _holds_speech(audio: np.ndarray, frame: int = 320) -> bool:
    """200 ms or more of 20 ms frames 10 dB above the clip's noise floor and louder than -45 dBFS."""
    frames = audio[: audio.size // frame * frame].reshape(-1, frame).astype(np.float64)
    if frames.shape[0] < 10:
        return False
    levels = 10 * np.log10(np.mean(frames**2, axis=1) / 32768.0**2 + 1e-12)
    loud = levels > max(float(np.percentile(levels, 10)) + 10, -45.0)
    return int(loud.sum()) >= 10


def _quiet_point(audio: np.ndarray, at_s: float, reach_s: float = 0.08) -> float:
    """The quietest 10 ms within `reach_s` of `at_s`: where to cut between two words."""
    hop = RATE // 100
    lo = max(0, int((at_s - reach_s) * RATE) // hop)
    hi = min(audio.size // hop, int((at_s + reach_s) * RATE) // hop + 1)
    if hi - lo < 2:
        return min(at_s, audio.size / RATE)
    chunks = audio[lo * hop : hi * hop].astype(np.float32).reshape(-1, hop)
    quietest = int(np.argmin(np.mean(chunks**2, axis=1)))
    return (lo + quietest) * hop / RATE
