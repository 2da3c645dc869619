"""The context window: which messages of a long conversation the model still sees.

A conversation outgrows the model's context (`llm.n_ctx`, 4,096 tokens by default; Qwen's tool
descriptions take ~1,000 of them) after some 90 short exchanges, sooner with long replies or tool results.
Then the oldest exchanges (a user message up to the next one) must go. Dropping one exchange per turn, as
the engine first did, changes the start of the conversation in every prompt from then on: llama.cpp (or a
server's prefix cache) finds only the system prompt in its cache and evaluates the whole remaining
conversation again, every turn — 9–12 s to the first token with 1,000–1,800 tokens to redo on the
2-core test machine. So the window drops exchanges in a block, down to `low_water` of the budget, and
keeps dropping the same ones on the next turns: between two such cuts every prompt extends the last
one, and the cache serves all of it. In process, llama.cpp's KV cache is then shifted over the cut rather
than recomputed (`assistant.llm.context_shift`). The same policy as llama.cpp's server context shift
(`n_keep` kept, `n_discard` dropped in one go), applied at message boundaries.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from assistant.llm.base import Message

LOW_WATER = 0.6
"""After a cut the prompt takes at most this share of the budget: room for many turns before the next."""


class ContextWindow:
    """One conversation's window over its history; keep one per conversation (the cut it remembers is
    that conversation's). `budget`: the most the prompt may take, in tokens (the context less the room a
    reply needs)."""

    def __init__(self, budget: int, low_water: float = LOW_WATER) -> None:
        if budget < 1 or not 0 < low_water <= 1:
            raise ValueError(f"a window needs budget >= 1 and 0 < low_water <= 1, not {budget}, {low_water}")
        self.budget = budget
        self.low_water = low_water
        self._dropped = 0
        """How many of the history's first messages (after the system prompt) the last cut left out."""
        self.cuts = 0
        """How many times the window moved (each one costs the cache what was cut and what followed)."""

    def fit(self, messages: Sequence[Message], count: Callable[[list[Message]], int]) -> list[Message]:
        """`messages` (system prompt, history, the current turn with any tool rounds) without the oldest
        exchanges that would not fit. The system prompt and the current turn always stay, even when they
        alone are over the budget (the model then says so). `count(messages)`: the prompt's size in tokens
        for those messages (exact in process, an estimate for a server)."""
        head = list(messages[:1]) if messages and messages[0].role == "system" else []
        body = list(messages[len(head) :])
        users = [i for i, m in enumerate(body) if m.role == "user"]
        current = users[-1] if users else 0  # the current turn: its user message and any tool rounds
        starts = sorted({0, *(i for i in users if i <= current)})
        dropped = self._dropped if self._dropped in starts else 0
        start = dropped
        if count(head + body[dropped:]) > self.budget:
            for start in (s for s in starts if s > dropped):
                if count(head + body[start:]) <= self.budget * self.low_water:
                    break
            self.cuts += start != dropped
        self._dropped = start
        return head + body[start:]


def estimate_tokens(messages: Sequence[Message], extra_chars: int = 0) -> int:
    """A server's prompt size without its tokenizer: ~3 characters a token for English (an overestimate
    for Qwen's and Llama's BPE vocabularies, at ~4) plus 8 tokens of chat markup a message;
    `extra_chars`: what else goes into the prompt (the tools' JSON schemas)."""
    calls = sum(len(c.name) + len(c.arguments) for m in messages for c in m.tool_calls)
    chars = extra_chars + calls + sum(len(m.content) for m in messages)
    return chars // 3 + 8 * len(messages)
