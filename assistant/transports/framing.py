"""Cuts microphone audio that arrives in any chunk size into engine frames, each with its echo reference."""

from __future__ import annotations

import numpy as np

from assistant.engine import Conversation


class InputFramer:
    """Feeds a conversation whole 20 ms frames, each with the speaker audio played over the same 20 ms.

    Transports hand over microphone audio (16 kHz) and played audio (output rate) as they come; at most
    `max_played_s` of played audio is kept, so a transport whose microphone stalls cannot grow it forever.
    """

    def __init__(self, conversation: Conversation, output_rate: int, max_played_s: float = 1.0) -> None:
        self.conv = conversation
        self._out_per_frame = output_rate * conversation.frame_ms // 1000
        self._max_played = int(output_rate * max_played_s)
        self._pending = np.zeros(0, np.int16)
        self._played = np.zeros(0, np.int16)

    def played(self, audio: np.ndarray) -> None:
        self._played = np.concatenate([self._played, audio])[-self._max_played :]

    def feed(self, mic16k: np.ndarray) -> None:
        self._pending = np.concatenate([self._pending, mic16k.astype(np.int16, copy=False)])
        n = self.conv.frame_samples
        while self._pending.size >= n:
            frame, self._pending = self._pending[:n], self._pending[n:]
            ref, self._played = self._played[: self._out_per_frame], self._played[self._out_per_frame :]
            self.conv.push_input(frame, ref)
