"""A user's own tools file, loaded as `--tools FILE.py` loads it, for tests of what the model may do with it.

`written(...)` writes the file, `user_cfg` loads a config with it (greedy, no entry points), `host` makes
the `ToolHost` a conversation makes, `conversation` says turns one after another to a real model as a
conversation keeps them, and `WritesUnlessMade` is a scripted model that writes its words unless the reply
makes it call a tool (`required`), as the bundled Qwen does when made to.
"""

from __future__ import annotations

import json
import textwrap
from collections.abc import AsyncIterator, Sequence
from pathlib import Path
from typing import Any

from lone_reply import lone_reply
from scripted import ScriptedLLM

from assistant.config import Config, load_config
from assistant.engine.replies import remembered
from assistant.engine.reply import Reply
from assistant.engine.tooling import ToolHost, tool_says_results, toolbox_for
from assistant.llm import Message, ToolRequest
from assistant.llm.prompt import system_prompt

THERMOSTAT = '''
from typing import Literal
from assistant.tools import tool

STATE = {"mode": "auto", "temperature": 21, "fan": "auto"}


@tool
def set_thermostat(
    mode: Literal["heat", "cool", "dry", "auto", "off"] | None = None,
    temperature: int | None = None,
    fan: Literal["low", "medium", "high", "auto"] | None = None,
) -> str:
    """Change the thermostat: its mode, its target temperature in degrees Celsius, or its fan speed."""
    given = {"mode": mode, "temperature": temperature, "fan": fan}
    STATE.update({k: v for k, v in given.items() if v is not None})
    return f"The thermostat is set to {STATE['mode']}, {STATE['temperature']} degrees, fan {STATE['fan']}."
'''
"""A newcomer's thermostat (2026-12-07): plain, all parameters optional, no `examples=`; the start of a
tools file's source."""


def written(folder: Path, name: str, source: str) -> Path:
    """`source` (indented as in a test module) written as `folder/name`."""
    path = folder / name
    path.write_text(textwrap.dedent(source))
    return path


def user_cfg(tools_file: Path, tmp_path: Path, *extra: str) -> Config:
    """The default config, greedy, with `tools_file` loaded and its data under `tmp_path`."""
    return load_config(
        overrides=[
            "llm.temperature=0",
            f"tools.load=[{tools_file}]",
            f"tools.data_dir={tmp_path / 'data'}",
            "tools.entry_points=false",
            *extra,
        ]
    )


def host(cfg: Config) -> ToolHost:
    """As a conversation makes it (`Conversation.tools`)."""
    return ToolHost(
        cfg.tools, toolbox_for(cfg.tools), "t", lambda _: None, lambda c, n: None, True,  # type: ignore[arg-type,return-value]
        tool_says_results(cfg),
    )  # fmt: skip


class WritesUnlessMade(ScriptedLLM):
    """Writes `words`, unless it is made to call a tool: then it calls that one with `arguments` (filling
    in every optional argument, as Qwen 0.5B does)."""

    def __init__(self, words: str, arguments: dict[str, Any]) -> None:
        super().__init__(words, delay_s=0.001)
        self.arguments = arguments

    async def stream(
        self, messages: list[Message], tools: Sequence[Any] = (), allowed: Any = None, required: Any = None
    ) -> AsyncIterator[str | ToolRequest]:
        if required is not None and messages[-1].role == "user":
            self.required.append(required)
            yield ToolRequest("call_1", required, json.dumps(self.arguments))
            return
        async for piece in super().stream(messages, tools, allowed, required):
            yield piece


async def conversation(
    cfg: Config, llm: Any, tools: ToolHost, turns: Sequence[str]
) -> AsyncIterator[tuple[str, Reply, str]]:
    """Each of `turns` said in one conversation with `llm` (warmed on the system prompt and the tools
    first), its history kept as a conversation keeps it (`replies.remembered`) and the user's earlier
    turns given for "it": each turn's words, its reply and what was heard of it."""
    history = [Message("system", system_prompt(cfg.llm))]
    await llm.warm_up(history, tools.llm_tools())
    said: list[str] = []
    for text in turns:
        messages = [*history, Message("user", text)]
        reply, heard = await lone_reply(cfg, messages, llm, tools=tools, earlier=said)
        said.append(text)
        kept = remembered(reply, heard, interrupted=False)
        history += [Message("user", text), kept] if kept is not None else []
        yield text, reply, heard
