"""Contextual biasing: one more hypothesis, decoded with the tools' words in Whisper's prompt.

Whisper conditions on the text before a clip (its prompt); words written there are the spellings it
prefers (OpenAI's Whisper prompting guide: a glossary of product names fixes their transcription). Put in
every decode, a glossary of the tools' words cost tiny.en its accuracy: on 349 clips the tool requests'
WER went from 6.95 % to 21.4 % and asterisk-dev's from 2.37 % to 2.79 % (docs/benchmarks.md, "A tool
glossary as Whisper's prompt: not adopted"); a list in the prompt makes it write lists, and once doubled
a command ("move the robot forward 3 meters, move the robot forward 3 meters"). So here it is only one
more hypothesis, decoded greedily from an encoding already made, on the turns that ask for a second look:
a near miss of a tool, or a call the tool could not read. The best transcript is never changed by it; the
fast path takes it only where it clearly asks for a tool (`IntentMatcher.match_any`). A robotic voice's
"roll a die", heard "Roll up tight." (the beam: "Roll the tide.", "Roll at high."), is "Roll dice." so.
"""

from __future__ import annotations

from typing import Any

MAX_GLOSSARY_TOKENS = 96
"""Whisper's prompt holds 223 tokens; the glossary goes first and leaves the rest to the words before."""


def glossary_prompt(prompt_ids: list[int], tokenizer: Any, vocabulary: str) -> list[int]:
    """`prompt_ids` (Whisper's <|startofprev|> text <|startoftranscript|> ... or <|startoftranscript|>
    ...) with `vocabulary` written before the previous text; unchanged when `vocabulary` is empty."""
    glossary = tokenizer.encode(" " + vocabulary.strip())[:MAX_GLOSSARY_TOKENS] if vocabulary.strip() else []
    if not glossary:
        return list(prompt_ids)
    sot = prompt_ids.index(tokenizer.sot)
    previous = prompt_ids[1:sot] if sot > 0 else []
    room = 223 - len(glossary)
    return [tokenizer.sot_prev, *glossary, *previous[-room:], *prompt_ids[sot:]]


def biased_ids(model: Any, encoded: Any, prompt_ids: list[int], tokenizer: Any, limit: int) -> list[int]:
    """Blocking: the greedy tokens of a clip from its kept encoding with `prompt_ids` (`glossary_prompt`),
    at most `limit` of them, without <|endoftext|>."""
    result = model.model.generate(
        encoded,
        [prompt_ids],
        beam_size=1,
        max_length=min(model.max_length, len(prompt_ids) + limit),
        suppress_blank=True,
        suppress_tokens=[-1],
    )[0]
    return [t for t in result.sequences_ids[0] if t < tokenizer.eot]
