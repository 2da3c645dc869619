"""faster-whisper behind an async call, with the guards a live conversation needs.

Decoding happens while iterating the segments, so the whole iteration runs in a worker thread. Whisper
invents text for noise ("Thank you.", "you"); segments that look like that are dropped.

When a final transcript nearly asks for a tool ("can't sell the timer"), the same encoding is decoded
again with a beam, and the beam's hypotheses go along, so the tools' fast path can try the others ("cancel
the timer"). Turns that need no second look pay nothing. Reusing the encoding needs Whisper's one 30-second
window, so that path goes to CTranslate2 directly; longer audio takes faster-whisper's usual path.

A turn is a few seconds, yet Whisper's encoder reads 30, padded with silence. The one-window path encodes
a short clip in a shorter window (whisper.cpp's `audio_ctx`), about four times faster. Whisper sometimes
loops in a short window, having never seen the silence that ends the speech; such a decode is caught
(too many tokens for the clip, or a phrase said thrice) and done again in the full window.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import numpy as np

from assistant.asr.biasing import biased_ids, glossary_prompt
from assistant.asr.decoding import Clip, Decoded, Transcript, _one_of, aligned_words, beam_search
from assistant.asr.hallucination import _doubled, _no_speech, _repeats, looks_invented, normalise
from assistant.config import AsrConfig
from assistant.models import HUB
from assistant.workers import NORMAL, URGENT, run_on, thread_for

_FULL_WINDOW = 3000
"""Whisper's 30-second window, in feature frames (100 a second)."""
_TOKENS_PER_SECOND = 8
"""More than fast speech needs (~5 a second with punctuation): a decode that reaches it has looped."""
_SHORT_CLIP_MS = 2000
"""A clip this short whose transcript is one phrase said twice is decoded again in a window twice as long:
in the 10 s window tiny.en wrote "Okay. Okay.", "Sure. Sure." and "No? No?" for one word said once (lone
words of the bench's short pass, Piper and Flite voices); in the 20 s window it wrote them once. What is
said twice stays twice ("Okay, okay."), and where the second decode hears nothing (Flite's "No, no." in
20 s) the first stands."""


class Transcriber:
    def __init__(self, cfg: AsrConfig) -> None:
        self._cfg = cfg
        self._model = HUB.whisper(cfg)

    @property
    def model(self) -> Any:
        """The loaded faster-whisper model; its thread (`workers.thread_for`) runs every decode."""
        return self._model

    @property
    def config(self) -> AsrConfig:
        return self._cfg

    @property
    def busy(self) -> bool:
        """Another transcription is queued or running on this model (perhaps for another conversation).

        Partial transcripts are a nicety: they only use an idle model, so that a final transcript, which
        someone is waiting for, never queues behind other sessions' partials.
        """
        return thread_for(self._model, "whisper").busy

    def transcribe_sync(
        self,
        audio: np.ndarray,
        short_guard: bool = True,
        second_look: Callable[[str], bool] | None = None,
        window_s: float | None = None,
        vocabulary: str = "",
    ) -> Transcript:
        """Blocking; call from a worker thread. `audio` is 16 kHz int16.

        `second_look(text)`: True when the best transcript deserves the beam's alternatives (and one
        decoded with `vocabulary` in the prompt, `biasing.py`). `window_s`: the encoder's window for a
        short clip (default: the config's, for a final transcript)."""
        start = time.perf_counter()
        samples = audio.astype(np.float32) / 32768.0
        hypotheses = self._one_window(samples, second_look, window_s or self._cfg.window_s, vocabulary)
        if hypotheses is None:
            hypotheses = [self._decode(samples)]
        text, *alternatives = hypotheses
        audio_ms = audio.size / 16.0
        if short_guard and looks_invented(text, audio):
            text, alternatives = "", []
        alternatives = [a for a in dict.fromkeys(alternatives) if a and a != text]
        return Transcript(text, audio_ms, (time.perf_counter() - start) * 1000, tuple(alternatives))

    def _decode(self, samples: np.ndarray) -> str:
        segments, _ = self._model.transcribe(
            samples,
            language=self._cfg.language,
            beam_size=self._cfg.beam_size,
            condition_on_previous_text=False,
            without_timestamps=True,
            vad_filter=False,
            temperature=0.0,
        )
        parts = [s.text.strip() for s in segments if not _no_speech(s.no_speech_prob, s.avg_logprob)]
        return " ".join(p for p in parts if p).strip()

    def _one_window(
        self,
        samples: np.ndarray,
        second_look: Callable[[str], bool] | None,
        window_s: float,
        vocabulary: str = "",
    ) -> list[str] | None:
        """Decode a clip that fits one window, in a short window of `window_s` when it fits that.

        With `second_look`, the beam's hypotheses follow when it says so, from the same encoding. None
        when the audio does not fit one window, or when the language is left to detection (faster-whisper's
        usual path does both)."""
        from faster_whisper.tokenizer import Tokenizer

        model = self._model
        multilingual = model.model.is_multilingual
        if samples.size > 29 * 16000 or (multilingual and not self._cfg.language):
            return None
        tokenizer = Tokenizer(
            model.hf_tokenizer, multilingual, task="transcribe", language=self._cfg.language or "en"
        )
        features = model.feature_extractor(samples)
        frames = min(_FULL_WINDOW, max(int(window_s * 100), features.shape[-1] + 100))
        if frames < _FULL_WINDOW:
            limit = int(10 + _TOKENS_PER_SECOND * samples.size / 16000)
            short = self._hypotheses(features, frames + frames % 2, tokenizer, second_look, limit, vocabulary)
            if short is not None:
                return short
        return self._hypotheses(features, _FULL_WINDOW, tokenizer, second_look, None, vocabulary)

    def _hypotheses(
        self,
        features: np.ndarray,
        frames: int,
        tokenizer: Any,
        second_look: Callable[[str], bool] | None,
        limit: int | None,
        vocabulary: str = "",
    ) -> list[str] | None:
        """Encode once in a window of `frames`, decode greedily, and with a beam (and `vocabulary` in the
        prompt) if `second_look` asks.

        `limit`: the most tokens the clip can hold; a decode that reaches it or repeats a phrase is a
        short window's failure (Whisper loops when it cannot see the silence after the speech): None."""
        from faster_whisper.audio import pad_or_trim

        model = self._model
        encoded = model.encode(pad_or_trim(features, frames))
        prompt = [model.get_prompt(tokenizer, [], without_timestamps=True)]
        max_length = model.max_length // 2
        if limit is not None:
            max_length = min(max_length, limit + len(prompt[0]))

        def decode(beam: int, n: int) -> list[str] | None:
            result = model.model.generate(
                encoded,
                prompt,
                beam_size=beam,
                num_hypotheses=n,
                max_length=max_length,
                return_scores=True,
                return_no_speech_prob=True,
                suppress_blank=True,
                suppress_tokens=[-1],
            )[0]
            best = [t for t in result.sequences_ids[0] if t < tokenizer.eot]
            if limit is not None and (len(best) >= limit or _repeats(best)):
                return None
            if n == 1 and _no_speech(result.no_speech_prob, result.scores[0] * len(best) / (len(best) + 1)):
                return [""]
            texts = [tokenizer.decode([t for t in ids if t < tokenizer.eot]) for ids in result.sequences_ids]
            return [t.strip() for t in texts]

        best = decode(self._cfg.beam_size, 1)
        n = self._cfg.alternatives
        if best is None or second_look is None or n <= 1 or not best[0] or not second_look(best[0]):
            return best
        more = decode(max(n, self._cfg.beam_size), n)
        if more is None:
            return None
        biased = self._biased(encoded, prompt[0], tokenizer, limit or max_length - len(prompt[0]), vocabulary)
        return best + more + ([biased] if biased else [])

    def reread(self, decoded: Decoded, vocabulary: str) -> str | None:
        """Blocking: the greedy text of a clip already decoded by `decode_clips(..., keep_encoding=True)`,
        decoded again from its encoding with `vocabulary` before its prompt (the decoder alone, at most
        the clip's token limit); None when `decoded` kept no encoding. A loop is returned as it is (a
        hum read again loops into "Mm-hmm. Mm-hmm. Mm-"): the caller judges it."""
        clip, encoded = decoded.clip, decoded.encoded
        if clip is None or encoded is None:
            return None
        prompt = glossary_prompt(clip.prompt_ids, clip.tokenizer, vocabulary)
        ids = biased_ids(self._model, encoded, prompt, clip.tokenizer, clip.limit)
        return clip.tokenizer.decode(ids).strip()

    def _biased(
        self, encoded: Any, prompt_ids: list[int], tokenizer: Any, limit: int, vocabulary: str
    ) -> str | None:
        """The greedy text with `vocabulary` before the prompt (`biasing.py`); None without a vocabulary,
        or when it loops."""
        if not vocabulary.strip():
            return None
        ids = biased_ids(
            self._model, encoded, glossary_prompt(prompt_ids, tokenizer, vocabulary), tokenizer, limit
        )
        if not ids or len(ids) >= limit or _repeats(ids):
            return None
        return tokenizer.decode(ids).strip() or None

    def words_sync(
        self, audio: np.ndarray, prompt: str = "", offset_s: float = 0.0, window_s: float | None = None
    ) -> Decoded:
        """Blocking: decode a clip of up to ~28 s into words with their times (16 kHz int16 in).

        The clip is encoded in a window of `window_s` (default: the partials' 10 s), or the clip and a
        second more if longer, not Whisper's 30. Shorter windows cost tiny.en its accuracy
        (asterisk-dev and tests/data: WER 4.0 % at 10 s and 20 s, 20 % at 5 s). `prompt`: the text said
        before the clip (the committed words), the decoder's context. Word times come from the decoder's
        cross-attention (faster-whisper's `find_alignment`, one extra decoder pass), shifted by
        `offset_s`. A decode that loops (too many tokens, a phrase thrice) is done again, once, in a
        window twice as long (20 s: the finals' window before streaming)."""
        return self.decode_clips([self.clip(audio, prompt, offset_s, window_s)])[0]

    def clip(
        self, audio: np.ndarray, prompt: str = "", offset_s: float = 0.0, window_s: float | None = None
    ) -> Clip:
        """A clip made ready for `decode_clips` (see `words_sync` for the arguments)."""
        from faster_whisper.tokenizer import Tokenizer

        model = self._model
        samples = audio.astype(np.float32)[-28 * 16000 :] / 32768.0
        tokenizer = Tokenizer(
            model.hf_tokenizer,
            model.model.is_multilingual,
            task="transcribe",
            language=self._cfg.language or "en",
        )
        features = model.feature_extractor(samples)
        previous = (
            tokenizer.encode(" " + prompt.strip())[-(model.max_length // 2 - 1) :] if prompt.strip() else []
        )
        frames = max(features.shape[-1] + 100, int(100 * (window_s or self._cfg.partial_window_s)))
        return Clip(
            features,
            model.get_prompt(tokenizer, previous, without_timestamps=True),
            tokenizer,
            int(10 + _TOKENS_PER_SECOND * samples.size / 16000),
            min(_FULL_WINDOW, frames + frames % 2),
            offset_s,
            samples.size / 16.0,
        )

    def decode_clips(self, clips: list[Clip], keep_encoding: bool = False) -> list[Decoded]:
        """Blocking: decode clips in one batched call of the encoder, the decoder and the aligner (greedy,
        so each clip's words are those it gets alone). Clips of one batch must share the window
        (`frames`) and the prompt's length: CTranslate2 wants <|startoftranscript|> at one position.
        A clip whose decode loops is done again alone in a window twice as long (rare); so is a short clip
        whose transcript is one phrase said twice, whose second decode is taken only if it has words.
        Each clip's `compute_ms` is the whole batch's: what each of its callers waited for.
        `keep_encoding`: each `Decoded` keeps its clip's encoder output, for a second look with the beam
        (`beam`)."""
        from faster_whisper.audio import pad_or_trim

        assert len({(c.frames, len(c.prompt_ids)) for c in clips}) == 1, "one window and prompt length"
        start = time.perf_counter()
        model = self._model
        tokenizer = clips[0].tokenizer
        encoded = model.encode(np.stack([pad_or_trim(c.features, c.frames) for c in clips]))
        results = model.model.generate(
            encoded,
            [c.prompt_ids for c in clips],
            beam_size=1,
            max_length=min(model.max_length, max(len(c.prompt_ids) + c.limit for c in clips)),
            return_scores=True,
            return_no_speech_prob=True,
            suppress_blank=True,
            suppress_tokens=[-1],
        )
        tokens = [[t for t in r.sequences_ids[0] if t < tokenizer.eot] for r in results]
        texts = [normalise(tokenizer.decode(ids)).split() for ids in tokens]
        looped = [
            len(ids) >= c.limit or _repeats(ids) or _repeats(words)
            for c, ids, words in zip(clips, tokens, texts, strict=True)
        ]
        doubled = [c.audio_ms < _SHORT_CLIP_MS and _doubled(w) for c, w in zip(clips, texts, strict=True)]
        keep = [
            bool(ids)
            and not loop
            and not _no_speech(r.no_speech_prob, r.scores[0] * len(ids) / (len(ids) + 1))
            for r, ids, loop in zip(results, tokens, looped, strict=True)
        ]
        alignments: list[list[dict[str, Any]]] = [[] for _ in clips]
        if any(keep):  # one batch; a clip without words gets a placeholder token, its alignment unused
            aligned = model.find_alignment(
                tokenizer,
                [ids if k else [tokenizer.no_timestamps] for ids, k in zip(tokens, keep, strict=True)],
                encoded,
                [c.features.shape[-1] for c in clips],
            )
            alignments = [a if k else [] for a, k in zip(aligned, keep, strict=True)]
        compute_ms = (time.perf_counter() - start) * 1000
        decoded: list[Decoded] = []
        for clip, alignment, loop, twice, r in zip(clips, alignments, looped, doubled, results, strict=True):
            again = replace(clip, frames=min(_FULL_WINDOW, 2 * clip.frames), retried=True)
            if loop and not clip.retried:
                decoded.append(self.decode_clips([again], keep_encoding)[0])
                continue
            kept = _one_of(encoded, len(decoded), len(clips)) if keep_encoding else None
            words = aligned_words(clip, alignment)
            own = Decoded(words, clip.audio_ms, clip.frames / 100, compute_ms, clip, kept, r.scores[0])
            if twice and not clip.retried:  # a second opinion; one that hears nothing is not taken
                second = self.decode_clips([again], keep_encoding)[0]
                own = second if second.words else own
            decoded.append(own)
        return decoded

    def beam(self, decoded: Decoded, n: int | None = None, vocabulary: str = "") -> list[str] | None:
        """Blocking: the beam's `n` best texts (default: the config's `alternatives`) for a clip already
        decoded by `decode_clips(..., keep_encoding=True)`, from the same encoding and prompt, best first;
        then the greedy text with `vocabulary` before the prompt, if it differs (`biasing.py`).

        Only the beam search runs again: encoding the clip anew in the full-turn window and decoding it
        greedily once more, as the first second look did, cost 150-240 ms for 3-7 s clips against 30-75
        ms for the beam alone (2-core AMD EPYC, tiny.en). Hypotheses that loop are left out. None when
        `decoded` kept no encoding."""
        clip, encoded = decoded.clip, decoded.encoded
        if clip is None or encoded is None:
            return None
        n = n or self._cfg.alternatives
        result = beam_search(self._model, clip, encoded, max(n, self._cfg.beam_size), n)
        eot = clip.tokenizer.eot
        texts = []
        for ids in result.sequences_ids:
            ids = [t for t in ids if t < eot]
            if len(ids) < clip.limit and not _repeats(ids):
                texts.append(clip.tokenizer.decode(ids).strip())
        texts.append(self._biased(encoded, clip.prompt_ids, clip.tokenizer, clip.limit, vocabulary) or "")
        return list(dict.fromkeys(t for t in texts if t))

    async def words(
        self, audio: np.ndarray, prompt: str = "", offset_s: float = 0.0, final: bool = False
    ) -> Decoded:
        """`words_sync` on the model's thread; `final`: someone waits for it (goes before partials)."""
        priority = URGENT if final else NORMAL
        return await run_on(
            self._model, "whisper", self.words_sync, audio, prompt, offset_s, priority=priority
        )

    async def transcribe(
        self, audio: np.ndarray, final: bool = False, second_look: Callable[[str], bool] | None = None
    ) -> Transcript:
        """`final`: someone waits for it, so it goes before other conversations' partials.

        A partial transcript is only shown, so it takes the shortest window (`partial_window_s`): a final
        that comes due while a partial runs waits for it."""
        priority = URGENT if final else NORMAL
        window = self._cfg.window_s if final else min(self._cfg.window_s, self._cfg.partial_window_s)
        return await run_on(
            self._model, "whisper", self.transcribe_sync, audio, True, second_look, window, priority=priority
        )
