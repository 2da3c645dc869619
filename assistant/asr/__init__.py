"""Speech recognition with faster-whisper."""

from assistant.asr.whisper import Transcriber, Transcript

__all__ = ["Transcriber", "Transcript"]
