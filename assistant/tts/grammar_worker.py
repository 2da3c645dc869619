"""The text normaliser's worker process, and the command that compiles its grammars at install.

`python assistant/tts/grammar_worker.py CACHE_DIR` (run as a script, so that it imports NeMo and nothing
of this package): load (or compile) NeMo's English TN grammars, then
answer one JSON line (a text) with one JSON line ({"ok": spoken} or {"error": why}) until stdin closes.
`python -m assistant.tts.grammar_worker --build`: compile them into the model cache once and say how long
it took (scripts/install.sh runs it, so that a first conversation never waits the ~45 s).
"""

from __future__ import annotations

import json
import logging
import os
import signal
import sys
from pathlib import Path


def _serve(cache_dir: str) -> None:
    """The worker process: load (or compile) the grammars, then answer JSON lines on stdin/stdout."""
    protocol = os.fdopen(os.dup(1), "w", encoding="utf-8")
    os.dup2(2, 1)  # whatever the libraries print goes to stderr, never into the protocol
    from nemo_text_processing.text_normalization.normalize import Normalizer

    # normalize() resets its logger's level on every call: filter its INFO chatter instead.
    logging.getLogger("NeMo-text-processing").addFilter(lambda record: record.levelno >= logging.WARNING)
    Path(cache_dir).mkdir(parents=True, exist_ok=True)
    try:
        normalizer = Normalizer(input_case="cased", lang="en", cache_dir=cache_dir)
    except Exception:  # a cache left half-written (a killed build): compile afresh
        for far in Path(cache_dir).glob("*.far"):
            far.unlink()
        normalizer = Normalizer(input_case="cased", lang="en", cache_dir=cache_dir)
    protocol.write('{"ready": true}\n')
    protocol.flush()
    for line in sys.stdin:
        try:
            said = normalizer.normalize(json.loads(line), verbose=False, punct_post_process=True)
            answer = {"ok": said}
        except Exception as exc:  # a text the grammars cannot parse: the caller falls back
            answer = {"error": f"{type(exc).__name__}: {exc}"}
        protocol.write(json.dumps(answer) + "\n")
        protocol.flush()


def build() -> None:
    from assistant.tts.normalise import Grammars, spoken

    grammars = Grammars()
    if not grammars.wait_ready(
        1800
    ):  # compiling takes ~45 s on an idle 2-core machine, minutes on a busy one
        raise SystemExit("the text normalisation grammars did not load; see the log above")
    print(f"text normalisation grammars ready in {grammars.load_s:.1f} s ({grammars.cache_dir})")
    print(spoken("It costs $49.95 after 8:00 on 3/4.", grammars))
    grammars.close()


if __name__ == "__main__":
    if sys.argv[1:] == ["--build"]:
        build()
    elif len(sys.argv) == 2:
        # Ctrl+C in a terminal reaches the whole process group: the parent stops this worker by closing
        # its stdin when it is done with it, so the signal is the parent's to act on, not a traceback here.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        try:
            _serve(sys.argv[1])
        except BrokenPipeError:  # the conversation ended while the grammars were still loading
            os._exit(0)  # nothing to say, nobody to say it to: not even the buffered answer at exit
    else:
        raise SystemExit("usage: python -m assistant.tts.grammar_worker (--build | CACHE_DIR)")
