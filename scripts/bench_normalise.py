"""What making a clause speakable costs: markup removal, NeMo's grammars (triggered or always), loading.

    python scripts/bench_normalise.py [--cold] [--rounds 5]

Prints, per clause (the replies below cut by the ClauseChunker as a reply would be): the written form
(markdown-it-py + emoji), the spoken form when only clauses with digits, symbols or abbreviations go to
the grammars (what the assistant does) and when every clause does, p50/p95 in ms, interleaved in one run.
Also the worker's load time (cached grammars; `--cold` compiles them into a temporary folder first) and
how long the event loop's thread stalls while clauses are normalised in another thread.
"""

from __future__ import annotations

import argparse
import logging
import statistics
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

from assistant.tts import ClauseChunker
from assistant.tts.markup import written
from assistant.tts.normalise import NEEDS_GRAMMARS, Grammars, spoken

REPLIES = [
    "Sure, I can help with that. The train leaves at 8:15 and costs $12.50 one way.",
    "It's 18°C and cloudy right now, with a 40% chance of rain after 3 pm.",
    "Here are the steps:\n1. **Preheat** the oven to 200°C.\n2. Mix 2 cups of flour with 1/2 cup of sugar.",
    "Your meeting with Dr. Patel is on Tuesday, March 4th, at 10:30 am.",
    "Hello! I'm doing well, thanks for asking. How can I help you today?",
    "That's a great question. The short answer is yes, but it depends on what you need.",
    "The Eiffel Tower is about 330 m tall and was finished in 1889.",
    "I set a timer for 25 minutes. I'll let you know when it's done 🙂",
    "The U.S. has 50 states, e.g. Ohio, Texas and Maine, and about 335 million people.",
    "You can find more at https://www.example.org/help, or ask me again later.",
    "Okay, I won't. Let me know if you change your mind.",
    "A kilometre is about 0.62 miles, so 10 km is roughly 6.2 miles.",
]


def clauses() -> list[str]:
    out = []
    for reply in REPLIES:
        chunker = ClauseChunker()
        out += [written(c) for token in reply.split(" ") for c in chunker.feed(token + " ")] + chunker.flush()
    return out


def pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, round(q * (len(values) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cold", action="store_true", help="also time compiling the grammars (~45 s)")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()

    if args.cold:
        with tempfile.TemporaryDirectory() as folder:
            cold = Grammars(Path(folder))
            assert cold.wait_ready(1800)
            print(f"compile grammars (cold cache): {cold.load_s:.1f} s")
            cold.close()
    grammars = Grammars()
    assert grammars.wait_ready()
    print(f"start worker, load cached grammars: {grammars.load_s:.2f} s")

    texts = clauses()
    triggered = [t for t in texts if NEEDS_GRAMMARS.search(t)]
    print(f"{len(texts)} clauses, {len(triggered)} with digits, symbols or abbreviations")
    timings: dict[str, list[float]] = {"written": [], "spoken, triggered": [], "spoken, always": []}
    by_kind: dict[str, list[float]] = {"plain clause": [], "clause with numbers": []}
    for round_ in range(args.rounds):
        for text in texts:
            grammars._cache.clear()  # measure the grammars, not the cache
            t0 = time.perf_counter()
            written(f"{text} {round_}")  # a new string: not the lru_cache's hit
            t1 = time.perf_counter()
            spoken(text, grammars)
            t2 = time.perf_counter()
            grammars._cache.clear()
            grammars.normalise(text)
            t3 = time.perf_counter()
            timings["written"].append((t1 - t0) * 1000)
            timings["spoken, triggered"].append((t2 - t1) * 1000)
            timings["spoken, always"].append((t3 - t2) * 1000)
            kind = "clause with numbers" if NEEDS_GRAMMARS.search(text) else "plain clause"
            by_kind[kind].append((t2 - t1) * 1000)
    print("per clause, ms          p50     p95")
    for name, values in {**timings, **by_kind}.items():
        print(f"  {name:<20} {statistics.median(values):7.2f} {pct(values, 0.95):7.2f}")

    def stalls(normalise: Callable[[str], object]) -> list[float]:
        """How late a 2 ms sleep in this thread wakes while another thread normalises clauses."""
        stop, gaps = False, []

        def work() -> None:
            while not stop:
                grammars._cache.clear()
                for text in triggered:
                    normalise(text)

        worker = threading.Thread(target=work)
        worker.start()
        last = time.perf_counter()
        for _ in range(500):
            time.sleep(0.002)
            now = time.perf_counter()
            gaps.append((now - last) * 1000 - 2)
            last = now
        stop = True
        worker.join()
        return gaps

    from nemo_text_processing.text_normalization.normalize import Normalizer

    logging.getLogger("NeMo-text-processing").addFilter(lambda record: record.levelno >= logging.WARNING)
    in_process = Normalizer(input_case="cased", lang="en", cache_dir=str(grammars.cache_dir))
    runs = {
        "worker process (ours)": lambda text: spoken(text, grammars),
        "in this process": lambda text: in_process.normalize(text, punct_post_process=True),
    }
    print("event-loop thread stall while normalising, ms   p50     p95     max")
    for name, normalise in [*runs.items(), *runs.items()]:  # twice, interleaved
        gaps = stalls(normalise)
        print(f"  {name:<44} {statistics.median(gaps):7.2f} {pct(gaps, 0.95):7.2f} {max(gaps):7.2f}")
    grammars.close()


if __name__ == "__main__":
    main()
