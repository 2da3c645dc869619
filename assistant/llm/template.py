"""A GGUF's own chat template, rendered the way llama-cpp-python renders it, with the model's tool format.

Instruction-tuned GGUFs carry their chat template (`tokenizer.chat_template`, Jinja). Rendering it here,
rather than through `create_chat_completion`, gives the engine the prompt text itself: the stable prefix
can be warmed (`prefix`), tools go where the model was trained to see them (Qwen2.5: a `<tools>` block in
the system message), and a reply that opens a tool call is recognised by the template's own opener
(`<tool_call>` for Qwen's and Hermes' format). A template that knows no tools gets them described in the
system text, with the JSON call form of `assistant.llm.prompt`.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from assistant.llm.base import Message
from assistant.llm.prompt import (
    TOOL_DATA_NOTE,
    TOOLS_HEADER,
    parse_arguments,
    render_content,
    scrub,
    tool_call_json,
    tool_result_content,
)

if TYPE_CHECKING:
    from assistant.tools import Tool

HERMES_OPEN = "<tool_call>"
"""Qwen2.5's (and Hermes') call: <tool_call>\\n{"name": ..., "arguments": {...}}\\n</tool_call>."""


class ChatTemplate:
    """`render(messages, tools)` is the prompt text; `native_tools` tells whether the template itself
    places the tools (Qwen's calls then start with `call_prefix`), else they go into the system text and
    calls are bare JSON."""

    def __init__(self, llama: Any) -> None:
        import jinja2
        import jinja2.meta
        from llama_cpp.llama_chat_format import CHATML_CHAT_TEMPLATE, Jinja2ChatFormatter

        source = llama.metadata.get("tokenizer.chat_template") or CHATML_CHAT_TEMPLATE
        eos = llama.detokenize([llama.token_eos()], special=True).decode(errors="replace")
        bos_id = llama.token_bos()
        self.bos = llama.detokenize([bos_id], special=True).decode(errors="replace") if bos_id >= 0 else ""
        self._formatters = {
            flag: Jinja2ChatFormatter(source, eos_token=eos, bos_token=self.bos, add_generation_prompt=flag)
            for flag in (True, False)
        }
        variables = jinja2.meta.find_undeclared_variables(jinja2.Environment().parse(source))
        self.native_tools = "tools" in variables
        self.hermes = self.native_tools and HERMES_OPEN in source
        self.call_openers = ("<", "{") if self.hermes else ("{",)
        """A reply starting with one of these is a call (Qwen often leaves out its own tags)."""
        self.call_prefix = f"{HERMES_OPEN}\n" if self.hermes else ""
        """What the template writes before a call's JSON; the call's grammar starts after it."""
        self.stop = [eos] if eos else []

    def render(self, messages: list[Message], tools: Sequence[Tool] = (), generation: bool = True) -> str:
        """The prompt for `messages`, ending with the assistant's turn opened when `generation`."""
        kwargs: dict[str, Any] = {}
        if tools and self.native_tools:
            kwargs["tools"] = [prompt_schema(t) for t in tools]
        rendered = self._formatters[generation](messages=self.messages(messages, tools), **kwargs)
        return rendered.prompt

    def messages(self, messages: list[Message], tools: Sequence[Tool]) -> list[dict[str, Any]]:
        """Our messages as the template's dicts; calls and results in the model's own roles when the
        template knows tools, else as ordinary turns."""
        native = self.native_tools
        out: list[dict[str, Any]] = []
        for m in messages:
            if m.role == "system":
                content = m.content
                if tools:
                    content += f"\n\n{TOOL_DATA_NOTE}"
                    if not native:
                        listed = [TOOLS_HEADER, *(f"- {t.signature_text()}" for t in tools)]
                        content += "\n\n" + "\n".join(listed)
                out.append({"role": "system", "content": content})
            elif m.role == "tool":
                content = tool_result_content(m.content)
                if native:
                    out.append({"role": "tool", "content": content})
                else:
                    out.append({"role": "user", "content": f"Tool: {content}"})
            elif m.tool_calls and native:
                calls = [
                    {"function": {"name": c.name, "arguments": parse_arguments(c.arguments)}}
                    for c in m.tool_calls
                ]
                out.append({"role": "assistant", "content": scrub(m.content), "tool_calls": calls})
            elif m.tool_calls:
                text = "\n".join(tool_call_json(c.name, c.arguments) for c in m.tool_calls)
                out.append({"role": "assistant", "content": text})
            else:
                out.append({"role": m.role, "content": render_content(m)})
        return out


def prompt_schema(tool: Tool) -> dict[str, Any]:
    """The tool's OpenAI entry as the model reads it, without what only validation needs
    (`additionalProperties`, `"default": null`, the null of an optional value): a third fewer tokens in
    Qwen's <tools> block, so more room for the conversation."""
    entry = tool.openai_schema()
    entry["function"]["parameters"] = _slim(entry["function"]["parameters"])
    return entry


def _slim(node: Any) -> Any:
    if isinstance(node, list):
        return [_slim(v) for v in node]
    if not isinstance(node, dict):
        return node
    out = {k: _slim(v) for k, v in node.items() if k != "additionalProperties"}
    if out.get("default", 0) is None:
        del out["default"]
    options = [o for o in out.get("anyOf", []) if o != {"type": "null"}]
    if "anyOf" in out and len(options) == 1:
        del out["anyOf"]
        out = {**options[0], **out}
    return out


_GRAMMAR_FORMATS = {
    "duration": "^PT[0-9]+[HMS]([0-9]+[MS])?([0-9]+S)?$",
    "time": "^([01][0-9]|2[0-3]):[0-5][0-9]$",
}
"""String formats as patterns the grammar can hold a model to, in forms pydantic parses: ISO 8601
durations ("PT5M", "PT1H30M") and times of day ("07:30"). llama.cpp's converter knows no "duration",
and its "time" demands seconds and a zone."""


def _grammar_formats(node: Any) -> Any:
    if isinstance(node, dict):
        out = {k: _grammar_formats(v) for k, v in node.items()}
        if out.get("type") == "string" and out.get("format") in _GRAMMAR_FORMATS:
            out["pattern"] = _GRAMMAR_FORMATS[out.pop("format")]
        return out
    if isinstance(node, list):
        return [_grammar_formats(v) for v in node]
    return node


def tools_schema(tools: Sequence[Tool]) -> str:
    """One JSON schema accepting {"name": <a tool>, "arguments": <its arguments>} for any of the tools,
    with string formats the grammar can enforce."""
    defs: dict[str, Any] = {}
    options = []
    for t in tools:
        params = _grammar_formats(t.parameters_schema())
        defs.update(params.pop("$defs", {}))
        options.append(
            {
                "type": "object",
                "properties": {"name": {"const": t.name}, "arguments": params},
                "required": ["name", "arguments"],
            }
        )
    return json.dumps({"anyOf": options, "$defs": defs})
