"""Streaming text-to-speech: a clause chunker in front of Piper."""

from assistant.tts.chunker import ClauseChunker
from assistant.tts.piper import Synthesizer

__all__ = ["ClauseChunker", "Synthesizer"]
