"""What was said stays out of the logs, at every level: transcripts and replies are personal data.

Our own log lines carry timings and lengths only (`assistant.metrics`; the words only with
`server.log_transcripts`). Two libraries log content at DEBUG, and this module cuts it out of their
records, keeping the rest of the line: websockets logs every frame with the start of its payload (the
server's events carry transcripts, and its binary frames audio) and Piper logs each sentence it speaks
with its phonemes. tests/test_privacy.py greps every logger at DEBUG for the words of a real conversation.
"""

from __future__ import annotations

import logging

REDACTED = "[redacted]"


class SpokenWords(logging.Filter):
    """Replaces the content arguments of the library log calls that carry what was said."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args if isinstance(record.args, tuple) else ()
        if record.msg in ("< %s", "> %s") and args:  # websockets: "> TEXT '{...}' [58 bytes]"
            opcode = getattr(args[0], "opcode", None)
            data = getattr(args[0], "data", None)
            if data is not None and getattr(opcode, "name", "") in ("TEXT", "BINARY", "CONT"):
                record.args = (f"{opcode.name} [{len(data)} bytes]",)
        elif record.msg == "text=%s, phonemes=%s" and len(args) == 2:  # piper.voice
            record.args = (REDACTED, REDACTED)
        return True


LOGGERS = ("uvicorn.error", "websockets.server", "websockets.client", "piper.voice")
"""Where those calls log: uvicorn hands its websockets protocols the "uvicorn.error" logger."""


def keep_speech_out_of_logs() -> None:
    """Install SpokenWords on LOGGERS (idempotent)."""
    for name in LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(f, SpokenWords) for f in logger.filters):
            logger.addFilter(SpokenWords())
