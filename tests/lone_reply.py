"""One `Reply` on its own (no conversation, no audio path): run to its end, and what of it was heard."""

from __future__ import annotations

import asyncio
from typing import Any

from assistant.config import Config
from assistant.engine.output import OutputBuffer
from assistant.engine.reply import Reply
from assistant.llm import Message
from assistant.tts import Synthesizer


async def lone_reply(cfg: Config, messages: list[Message], llm: Any, **options: Any) -> tuple[Reply, str]:
    """A reply to `messages` from `llm` (16 kHz output, the bundled voice), released at once as if the
    turn had ended; `options` go to `Reply` (tools, rehear, ...). Returns it and its heard text."""
    output = OutputBuffer(16000)
    reply = Reply(1, messages, llm, Synthesizer(cfg.tts, 16000), output, lambda *e: None, **options)
    reply.release()
    await asyncio.wait_for(asyncio.gather(*reply._tasks), 60)
    while not any(n.kind == "finished" for n in output.notices):
        output.pull(16000)
    return reply, next(n.text for n in output.notices if n.kind == "finished")
