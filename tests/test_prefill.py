"""The user's words are evaluated into the model's prompt cache while they still speak (`llm.prefill`).

The real bundled default model counts what the reply to the final words evaluates; a real recording through
the whole engine shows which words were prefilled and when (the model is scripted there: what is checked
is which messages it was handed, not what it said).
"""

from __future__ import annotations

import itertools
import time
from difflib import SequenceMatcher

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scripted import ScriptedLLM

from assistant.asr.wer import normalise
from assistant.config import load_config
from assistant.engine import Conversation
from assistant.engine.tooling import ToolHost, offers_tools, toolbox_for
from assistant.engine.turn_passes import PAUSE_MS
from assistant.llm import Message, make_llm
from assistant.llm.prompt import system_prompt
from assistant.transports.simulate import simulate

pytestmark = pytest.mark.slow

REQUEST = (
    "Could you tell me what the weather is usually like in the north of England during the long "
    "winter months, and whether I should pack a warm coat?"
)


class Counted:
    """Counts the tokens a Llama object evaluates (llama-cpp-python's `eval`, the only way in)."""

    def __init__(self, llama) -> None:  # type: ignore[no-untyped-def]
        self.tokens = 0
        self._eval = llama.eval

        def counted(tokens):  # type: ignore[no-untyped-def]
            self.tokens += len(tokens)
            return self._eval(tokens)

        llama.eval = counted


async def first_piece(llm, messages, tools) -> tuple[str, float]:  # type: ignore[no-untyped-def]
    start = time.perf_counter()
    async for piece in llm.stream(messages, tools):
        if isinstance(piece, str) and piece.strip():
            return piece, time.perf_counter() - start
    return "", time.perf_counter() - start


async def test_the_reply_evaluates_only_the_words_that_changed():
    """With two thirds of the request prefilled, the reply to the whole request evaluates its last third
    and the template's turn end; with the exchange before it prefilled (no words yet), the request and
    the turn end; with nothing prefilled, the exchange and the request."""
    cfg = load_config(overrides=["llm.temperature=0"])
    llm = make_llm(cfg.llm)
    host = ToolHost(cfg.tools, toolbox_for(cfg.tools), "t", lambda _: None, None, offers_tools(cfg))  # type: ignore[arg-type]
    tools = host.llm_tools()
    history = [
        Message("system", system_prompt(cfg.llm)),
        Message("user", "Hi, my name is Sam and I live in Leeds."),
        Message("assistant", "Nice to meet you, Sam. How can I help?"),
    ]
    words = REQUEST.split()
    partial = " ".join(words[: len(words) * 2 // 3])
    rest = " " + " ".join(words[len(words) * 2 // 3 :])
    counted = Counted(llm._llama)  # type: ignore[attr-defined]
    measured = {}
    for heard in (None, "", partial):  # nothing prefilled; the exchange before; and two thirds of the words
        await llm.warm_up(history[:1], tools)  # the cache holds the system prompt and tools only
        counted.tokens = 0
        if heard is not None:
            await llm.prefill([*history, Message("user", heard)], tools)
        before = counted.tokens
        piece, seconds = await first_piece(llm, [*history, Message("user", REQUEST)], tools)
        assert piece, "the model said nothing"
        measured[heard] = (before, counted.tokens - before, round(seconds, 3))
    print(f"\n(prefilled tokens, reply's tokens before its first word, seconds): {measured}")
    tokenize = llm._llama.tokenize  # type: ignore[attr-defined]
    prefilled_tokens, reply_tokens, _ = measured[partial]
    assert prefilled_tokens > len(tokenize(partial.encode(), add_bos=False))
    # The rest, the turn end ("<|im_end|>\n<|im_start|>assistant\n"), a token at the seam, the first words.
    assert reply_tokens <= len(tokenize(rest.encode(), add_bos=False)) + 8 + 12, measured
    assert measured[None][1] >= reply_tokens + prefilled_tokens - 2, measured
    assert measured[""][1] <= len(tokenize(REQUEST.encode(), add_bos=False)) + 8 + 12, measured
    assert measured[None][1] >= measured[""][1] + measured[""][0] - 2, measured


class PausePrefill(ScriptedLLM):
    """A scripted model that records how long the turn had been silent when each prefill of the user's
    words started (ms)."""

    def __init__(self, reply: str, conversation: list[Conversation]) -> None:
        super().__init__(reply)
        self.conversation = conversation
        self.silent_ms: list[float] = []

    async def prefill(self, messages: list[Message], tools=()) -> None:  # type: ignore[no-untyped-def]
        await super().prefill(messages, tools)
        conversation = self.conversation[0]
        turn = conversation._turn  # type: ignore[attr-defined]
        if messages[-1].content and turn is not None:  # not the exchange after a reply
            self.silent_ms.append(turn.frames_since_speech * conversation.frame_ms)


async def test_no_prefill_in_a_pause(speech):
    """Real readings with pauses between their phrases, through the whole engine: no prefill of the
    user's words starts once the turn has gone quiet (a partial pass that lands in the pause shows its
    words but leaves the cores to the final pass; before, 280 ms into a pause here)."""
    cfg = load_config()
    owner: list[Conversation] = []
    llm = PausePrefill("He had a lot to think about.", owner)
    owner.append(Conversation(cfg, llm=llm))
    recordings = [speech["sense_and_sensibility_01_austen_64kb-0870"], speech["goforward"]]
    await simulate(cfg, recordings, conversation=owner[0])
    assert len(llm.silent_ms) >= 3, llm.silent_ms
    assert max(llm.silent_ms) < PAUSE_MS + cfg.audio.frame_ms, llm.silent_ms


async def test_a_spoken_request_is_prefilled_as_it_is_said(speech):
    """A real 7 s reading: partial transcripts go to the model while it is read, each after the system
    prompt and each once, and the last one is what the final transcript heard; after the reply, the
    exchange. Off, nothing is."""
    recording = speech["sense_and_sensibility_01_austen_64kb-0870"]
    for enabled in (True, False):
        cfg = load_config(overrides=["llm.temperature=0", f"llm.prefill={str(enabled).lower()}"])
        llm = ScriptedLLM("He had a lot to think about.")
        result = await simulate(cfg, [recording], conversation=Conversation(cfg, llm=llm))
        (turn,) = result.report["turns"]
        if not enabled:
            assert llm.prefilled == []
            continue
        *partials, after_reply = llm.prefilled
        assert len(partials) >= 2, llm.prefilled
        assert all(messages[:-1] == [system_prompt(cfg.llm)] for messages in partials)
        assert all(a[-1] != b[-1] for a, b in itertools.pairwise(partials)), "each words once"
        # Once the reply is over, the next turn's prefix: the exchange, up to where new words will go.
        assert after_reply == [
            system_prompt(cfg.llm),
            turn["user_text"],
            "He had a lot to think about.",
            "",
        ], after_reply
        heard = normalise(turn["user_text"]).split()
        last = normalise(partials[-1][-1]).split()
        assert len(last) >= len(heard) // 2, (last, heard)
        # The final pass may hear a word more or less (here "And" before "Mr. John Dashwood"): the cache
        # then serves the words up to that point only, but what was prefilled is what was said.
        assert SequenceMatcher(None, last, heard).ratio() >= 0.8, (last, heard)


@pytest.fixture(scope="module", params=["qwen2.5-0.5b", "smollm2-135m", "gemma-3-270m"])
def bundled(request):  # type: ignore[no-untyped-def]
    cfg = load_config(overrides=[f"llm.model=bundled:{request.param}"])
    host = ToolHost(cfg.tools, toolbox_for(cfg.tools), "t", lambda _: None, None, offers_tools(cfg))  # type: ignore[arg-type]
    return make_llm(cfg.llm), host.llm_tools(), system_prompt(cfg.llm)


_ANY_TEXT = st.text(st.characters(blacklist_categories=("Cs",)), max_size=60)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(heard=_ANY_TEXT, rest=_ANY_TEXT, before=_ANY_TEXT)
def test_what_is_prefilled_is_a_prefix_of_the_reply_prompt(bundled, heard, rest, before):
    """Whatever was heard so far and whatever follows (control characters, the cut's own noncharacter,
    scripts of every kind), each bundled model's prefilled prompt ends with the words heard and starts
    the prompt of the reply to the whole, so the cache holds nothing the reply does not use."""
    llm, tools, system = bundled
    history = [Message("system", system), Message("user", before), Message("assistant", "Sure.")]
    prefix = llm.prefix([*history, Message("user", heard)], tools)
    assert prefix is not None
    assert prefix.endswith(heard)
    assert llm._prompt([*history, Message("user", heard + rest)], tools).startswith(prefix)  # type: ignore[attr-defined]
