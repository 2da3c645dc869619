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


def model_words(heard: str) -> str:
    """What the model said, of what was heard: without the engine's notices and apologies. They stay out
    of the history, because a small model imitates its last turns: given "Sorry, the language model sent
    an answer I can't read." as its own words, Gemma 270M said it again on the next, healthy turn."""
    for notice in NOTICES:
        heard = heard.replace(notice, " ")
    return " ".join(heard.split())
