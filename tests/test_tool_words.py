"""Who says the result of a call the model made (`tools.results`): the tool's own sentence for the
bundled models, the model's words for any other.

Qwen2.5-Coder 0.5B called convert_units right for "change 5 pounds into kilograms", read "5 pounds is
2.27 kilograms." and then said a formula with another factor. The scripted model here plays that part:
the orchestration is what is tested (the real model's call is tested in test_instruct_model.py).
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from lone_reply import lone_reply
from scripted import ScriptedLLM

from assistant.config import load_config
from assistant.engine.tooling import ToolHost, a_sentence, tool_says_results, toolbox_for
from assistant.llm import Message, ToolRequest

MADE_UP = "Kilograms equals pounds over 2.2, so that is 11 kilograms."


@pytest.mark.parametrize("tool_says", [True, False])
async def test_the_tool_or_the_model_says_the_result(tmp_path: Path, tool_says: bool) -> None:
    cfg = load_config(
        overrides=[f"tools.data_dir={tmp_path}", "tools.entry_points=false", "tools.intent=false"]
    )
    host = ToolHost(
        cfg.tools,
        toolbox_for(cfg.tools),
        "s",
        lambda _: None,
        lambda c, n: asyncio.ensure_future(c),
        True,
        tool_says,
    )
    call = ToolRequest("c1", "convert_units", '{"value": 5, "from_unit": "pounds", "to_unit": "kilograms"}')
    llm = ScriptedLLM(MADE_UP, tool_requests=[call], tool_replies=1)
    reply, heard = await lone_reply(
        cfg, [Message("user", "Change five pounds into kilograms.")], llm, tools=host
    )
    host.close()
    assert [c.name for c in reply.tool_calls] == ["convert_units"] and reply.tool_calls[0].error is None
    if tool_says:
        assert "2.27" in heard and "11" not in heard, heard
        assert len(llm.calls) == 1  # the model is not asked to put the result in words
    else:
        assert "11 kilograms" in heard, heard
        assert len(llm.calls) == 2 and llm.calls[1][-1].role == "tool"


def test_auto_is_the_tool_for_the_bundled_models_only() -> None:
    def says(*overrides: str) -> bool:
        return tool_says_results(load_config(overrides=list(overrides)))

    assert says("llm.model=bundled:qwen2.5-0.5b")
    assert not says(
        "llm.model=Qwen/Qwen2.5-7B-Instruct", "llm.backend=openai", "llm.base_url=http://127.0.0.1:8000/v1"
    )
    assert not says("llm.model=bundled:qwen2.5-0.5b", "tools.results=model")
    assert says(
        "llm.model=Qwen/Qwen2.5-7B-Instruct",
        "llm.backend=openai",
        "llm.base_url=http://127.0.0.1:8000/v1",
        "tools.results=tool",
    )


@pytest.mark.parametrize(
    ("result", "sentence"),
    [
        ("5 pounds is 2.27 kilograms.", True),
        ("Done!", True),
        ("Is it raining? ", True),
        ("2.27", False),
        ("", False),
        ({"kg": 2.27}, False),
        (None, False),
        (["a."], False),
    ],
)
def test_only_a_sentence_is_said_as_it_is(result: object, sentence: bool) -> None:
    assert a_sentence(result) is sentence
