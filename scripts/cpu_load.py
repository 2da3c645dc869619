"""A competing CPU load like another model-heavy job on the same machine, for soaks under contention.

    python scripts/cpu_load.py --seconds 420 &
    python scripts/soak.py --minutes 6

Loops until time is up: Qwen2.5-Coder 0.5B (llama.cpp, 2 threads, default OpenMP spinning unless the
environment says otherwise) writes 150 tokens from an empty cache, then faster-whisper tiny.en (2
threads) transcribes a 20 s recording. Prints the rounds it finished (more rounds: the machine's cores
were shared more fairly). The model libraries are imported before `assistant`, so the project's
OpenMP setting (assistant/openmp.py) does not reach them: the load stands for other software.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from faster_whisper import WhisperModel  # noqa: E402
from llama_cpp import Llama  # noqa: E402

from assistant.audio import read_audio  # noqa: E402
from assistant.models import resolve_gguf, resolve_whisper  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seconds", type=float, default=420.0)
    args = parser.parse_args()
    llm = Llama(model_path=str(resolve_gguf("bundled:qwen2.5-0.5b")), n_ctx=1024, n_threads=2, verbose=False)
    asr = WhisperModel(resolve_whisper("bundled:tiny.en"), cpu_threads=2, compute_type="int8")
    audio = read_audio(ROOT / "tests" / "data" / "sense_and_sensibility_01_austen_64kb-0930.wav")
    end = time.monotonic() + args.seconds
    rounds = 0
    while time.monotonic() < end:
        llm.reset()
        llm.create_completion("Write a long story about a ship.", max_tokens=150)
        list(asr.transcribe(audio, beam_size=1)[0])
        rounds += 1
    print(f"load rounds: {rounds}")


if __name__ == "__main__":
    main()
