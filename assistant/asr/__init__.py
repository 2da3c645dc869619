"""Speech recognition with faster-whisper."""

from assistant.asr.decoding import Transcript
from assistant.asr.whisper import Transcriber

__all__ = ["Transcriber", "Transcript"]
