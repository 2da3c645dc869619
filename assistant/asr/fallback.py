"""Beam fallback: a final pass that Whisper decoded greedily but unsurely is searched again with a beam.

Whisper's own decoder falls back when its average log-probability per token is below -1 (it decodes again
at a higher temperature; Radford et al. 2022, "Robust Speech Recognition via Large-Scale Weak
Supervision", section 4.5). A live turn cannot afford temperature fallbacks, but the final pass keeps its
encoding, so a beam search from it costs only the decoder (~75 ms for a 1-7 s turn with tiny.en on two
cores). Greedy decoding's mistakes are mostly unsure ones: over 155 clips (the dialogue set in Piper's
and Flite's voices, the shared recordings and asterisk-dev's real prompts), the 13 of 15 transcripts that
a beam of 5 mended ("How many kill umpres is a marathon?" -> "... kilometers ...", "Convert 70 degrees
Fahrenheit dysolceus." -> "... to Celsius.") had an average log-probability under -0.2, and only one of
the three it made worse did. Over all 155 the beam cut the WER on Flite's voice from 10.2 % to 6.4 % and on
Piper's from 3.5 % to 2.0 %, and raised asterisk-dev's from 2.2 % to 3.1 % (a loop of "Press 3 to
re-record your message.", which the threshold and the loop guard both keep out). Held out, through the
final pass (the fast path's requests and non-requests in three voices, the real recordings of tests/data):
the WER went down or stayed on every set (espeak-ng 13.3 % -> 11.0 %, real speech 8.1 % -> 5.1 %), the
final pass's mean rose 8 ms (docs/benchmarks.md, "The beam fallback").
"""

from __future__ import annotations

import time
from dataclasses import replace

from assistant.asr.decoding import Decoded, aligned_words, beam_search
from assistant.asr.hallucination import _repeats, normalise
from assistant.asr.whisper import Transcriber


def beam_fallback(transcriber: Transcriber, decoded: Decoded, beam_size: int = 5) -> Decoded | None:
    """Blocking, on Whisper's thread: the beam's best decode of a clip that `decoded` got unsurely, with
    its words aligned (times from the turn's start, s). "Unsurely": an average log-probability per token
    under the config's `fallback_logprob`. None when the greedy decode was sure, kept no encoding
    (`Transcriber.decode_clips(..., keep_encoding=True)`), or the beam agrees with it, loops, or says a
    phrase again that the greedy decode said once (`said_again`). The result keeps the encoding, so the
    tools' second look can search it too; its `compute_ms` includes the greedy decode's."""
    clip, encoded = decoded.clip, decoded.encoded
    sure = decoded.logprob >= transcriber.config.fallback_logprob
    if clip is None or encoded is None or sure or not decoded.words:
        return None
    start = time.perf_counter()
    model = transcriber.model
    result = beam_search(model, clip, encoded, beam_size)
    ids = [t for t in result.sequences_ids[0] if t < clip.tokenizer.eot]
    text = normalise(clip.tokenizer.decode(ids))
    greedy = normalise(decoded.text)
    if not ids or len(ids) >= clip.limit or _repeats(ids) or text == greedy:
        return None
    if said_again(text.split()) - said_again(greedy.split()):
        return None
    alignment = model.find_alignment(clip.tokenizer, [ids], encoded, [clip.features.shape[-1]])[0]
    words = aligned_words(clip, alignment)
    spent = (time.perf_counter() - start) * 1000
    return replace(decoded, words=words, compute_ms=decoded.compute_ms + spent, logprob=result.scores[0])


def said_again(words: list[str], n: int = 3) -> set[tuple[str, ...]]:
    """The phrases of `n` words that occur more than once in `words`: a beam that says a phrase again that
    the greedy decode said once has looped ("add a note by eggs and bread add a note by eggs and bread
    add" for Flite's "Add a note: buy eggs and bread.")."""
    seen: set[tuple[str, ...]] = set()
    again: set[tuple[str, ...]] = set()
    for i in range(len(words) - n + 1):
        phrase = tuple(words[i : i + n])
        (again if phrase in seen else seen).add(phrase)
    return again
