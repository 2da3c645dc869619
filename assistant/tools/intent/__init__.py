"""The speech-to-intent fast path: clear requests for a tool are resolved from the transcript, no LLM."""

from assistant.tools.intent.matcher import DEFAULT_THRESHOLD, IntentMatch, IntentMatcher

__all__ = ["DEFAULT_THRESHOLD", "IntentMatch", "IntentMatcher"]
