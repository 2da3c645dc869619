"""The OpenAI-compatible backend against a real HTTP server (llama-cpp-python's, on the bundled model)."""

from __future__ import annotations

import os
import signal

import pytest
from llm_server import free_port, llama_server

from assistant.config import load_config
from assistant.engine import Conversation
from assistant.llm import LlmError, Message, make_llm
from assistant.transports.simulate import simulate


@pytest.fixture(scope="module")
def server():
    with llama_server() as (base, proc):
        yield base, proc


def openai_cfg(base: str, *extra: str):
    return load_config(overrides=["llm.backend=openai", f"llm.base_url={base}", "llm.model=gemma", *extra])


async def test_streams_tokens_from_a_real_server(server):
    base, _ = server
    llm = make_llm(openai_cfg(base, "llm.prompt=fewshot").llm)
    pieces = [p async for p in llm.stream([Message("user", "What is the capital of France?")])]
    assert len(pieces) > 1, "the reply should arrive in several streamed pieces"
    assert "".join(pieces).strip()


async def test_chat_mode_streams_from_the_chat_endpoint(server):
    base, _ = server
    llm = make_llm(openai_cfg(base, "llm.prompt=chat", "llm.max_tokens=16", "llm.temperature=0").llm)
    pieces = [p async for p in llm.stream([Message("system", "Be brief."), Message("user", "Say hello.")])]
    assert len(pieces) > 1 and "".join(pieces).strip()


async def test_conversation_through_the_server(server, speech):
    base, _ = server
    cfg = openai_cfg(base, "llm.prompt=fewshot")
    result = await simulate(cfg, [speech["goforward"]])
    (turn,) = result.report["turns"]
    assert "forward" in turn["user_text"].lower()
    assert turn["assistant_text"] and "error" not in turn
    assert result.report["errors"] == []


async def test_unreachable_server_is_reported():
    llm = make_llm(openai_cfg(f"http://127.0.0.1:{free_port()}/v1").llm)
    with pytest.raises(LlmError, match="unreachable"):
        async for _ in llm.stream([Message("user", "hi")]):
            pass


async def test_server_dying_mid_answer_is_reported_and_the_session_survives(speech):
    with llama_server() as (base, proc):
        cfg = openai_cfg(base, "llm.prompt=fewshot", "llm.max_tokens=200", "llm.temperature=1.0")
        llm = make_llm(cfg.llm)
        got = []
        with pytest.raises(LlmError, match=r"dropped|unreachable|failed"):
            async for piece in llm.stream([Message("user", "Tell me a very long story about the sea.")]):
                got.append(piece)
                if len(got) == 2:
                    os.killpg(proc.pid, signal.SIGKILL)
        assert len(got) >= 2

        # The same dead server behind a whole conversation: the session says so, speaks it, and goes on.
        conv = Conversation(cfg)
        result = await simulate(cfg, [speech["goforward"], speech["cards-003"]], conversation=conv)
    turns = result.report["turns"]
    assert len(turns) == 2, "the second turn must still be heard after the failure"
    for turn in turns:
        assert "error" in turn and "unreachable" in turn["error"]
        assert "lost my connection" in turn["assistant_text"]
    assert any("llm:" in e for e in result.report["errors"])
