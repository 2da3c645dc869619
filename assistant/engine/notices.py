"""What the engine says of its own: the notices and apologies a reply says instead of the model.

They judge what a working model said (it only repeated the user, read back a request no tool did, made an
address up) or tell of a fault (the model is down, silent or garbled; Piper could not say a clause). All
are synthesised when the conversation starts (`NOTICES`), so they play at once even when synthesis is
what fails; and they are kept out of the history the model sees (`model_words`).
"""

from __future__ import annotations

from assistant.engine.tool_turn import FILLER
from assistant.llm import LlmBadAnswer, LlmError, LlmTimeout

FALLBACK_EMPTY = "Sorry, I don't have an answer to that."
ACKNOWLEDGED = "I see."
"""Said when the model only repeated what the user told it."""
UNABLE = "Sorry, I can't do that."
"""Said when the model only read back what the user asked it to do: no tool did it."""
CLARIFY = "Sorry, could you tell me a bit more?"
"""Said when the model only read back words that ask nothing ("Seven of clubs."): what are they for?"""
UNCHECKED = "Sorry, I couldn't check that."
"""Said when the model told the state of what a tool reads without calling it (`claims.reports_reading`)."""
FALLBACK_LLM_DOWN = "Sorry, I lost my connection to the language model."
FALLBACK_LLM_SILENT = "Sorry, the language model is not answering."
FALLBACK_LLM_GARBLED = "Sorry, the language model sent an answer I can't read."
FALLBACK_BROKEN = "Sorry, something went wrong on my side."
TTS_FAILED = "Sorry, I couldn't say that."
NO_ADDRESS = "Sorry, I don't know that web address."
"""Said instead of a web address the model made up when asked for one (`addresses.py`)."""
NOTICES = (
    FILLER,
    FALLBACK_EMPTY,
    ACKNOWLEDGED,
    UNABLE,
    CLARIFY,
    UNCHECKED,
    NO_ADDRESS,
    FALLBACK_LLM_DOWN,
    FALLBACK_LLM_SILENT,
    FALLBACK_LLM_GARBLED,
    FALLBACK_BROKEN,
    TTS_FAILED,
)
"""Said as whole sentences from audio prepared at start (`Synthesizer.prepare`)."""
FAULT_NOTICES = (FALLBACK_LLM_DOWN, FALLBACK_LLM_SILENT, FALLBACK_LLM_GARBLED, FALLBACK_BROKEN, TTS_FAILED)
"""The notices that tell of a fault (the others judge what a working model said)."""


def _apology(exc: LlmError) -> str:
    """The apology for a language model that failed so (down, silent, or garbled)."""
    if isinstance(exc, LlmTimeout):
        return FALLBACK_LLM_SILENT
    if isinstance(exc, LlmBadAnswer):
        return FALLBACK_LLM_GARBLED
    return FALLBACK_LLM_DOWN


def model_words(heard: str, interrupted: bool = False) -> str:
    """What the model said, of what was heard: without the engine's notices and apologies, whole or (when
    the user `interrupted` the reply) cut short. They stay out of the history, because a small model
    imitates its last turns: given "Sorry, the language model sent an answer I can't read." as its own
    words, Gemma 270M said it again on the next, healthy turn; given "Sorry," (the start of "Sorry, I
    can't do that.", cut, shown to the model as "Sorry,..."), Qwen2.5-Coder 0.5B answered the next turn
    "Sorry,..." (1 in 8 at temperature 0.6; none without it) and, through `assistant mic`, every turn
    after that. The sentence a cut ends on goes when it is the start of a notice, even where the model
    wrote it: cut there, it says nothing ("Sorry, I")."""
    for notice in NOTICES:
        heard = heard.replace(notice, " ")
    words = heard.split()
    for notice in NOTICES if interrupted else ():
        opening = notice.split()[:-1]
        for k in range(min(len(words), len(opening)), 0, -1):
            sentence_start = k == len(words) or words[-k - 1].endswith((".", "!", "?"))
            if words[-k:] == opening[:k] and sentence_start:
                return " ".join(words[:-k])
    return " ".join(words)
