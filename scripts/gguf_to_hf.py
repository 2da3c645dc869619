"""Turn a GGUF chat model into a Hugging Face model folder (bf16 safetensors, config, tokenizer) for vLLM.

vLLM 0.32 has no GGUF loader, so the bundled GGUF is dequantised once with transformers (+ gguf) and
saved as a safetensors folder; the tokenizer and its chat template come from the GGUF itself, so nothing
is downloaded. Runs in the vLLM venv (it needs torch): `.venv-vllm/bin/python scripts/gguf_to_hf.py
MODEL.gguf OUT_DIR`. `save_pretrained` refuses a GGUF-loaded model, hence the state dict saved by hand.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
from pathlib import Path

import torch
from safetensors.torch import save_file
from transformers import AutoModelForCausalLM, AutoTokenizer


def convert(gguf: Path, out: Path, dtype: torch.dtype = torch.bfloat16) -> Path:
    """Write `out` (config.json, model.safetensors, tokenizer files) from `gguf`; atomic: a half-written
    folder never has the final name. Returns `out`."""
    tokenizer = AutoTokenizer.from_pretrained(str(gguf.parent), gguf_file=gguf.name)
    if not tokenizer.chat_template:
        raise SystemExit(f"{gguf}: no chat template in the GGUF; vLLM's chat endpoint needs one")
    model = AutoModelForCausalLM.from_pretrained(str(gguf.parent), gguf_file=gguf.name, dtype=dtype)
    tmp = Path(tempfile.mkdtemp(dir=out.parent, prefix=f".{out.name}."))
    try:
        state = {k: v.to(dtype).contiguous() for k, v in model.state_dict().items()}
        if model.config.tie_word_embeddings:
            state.pop("lm_head.weight", None)  # tied to the embedding: stored once
        save_file(state, str(tmp / "model.safetensors"), metadata={"format": "pt"})
        config = model.config.to_dict()
        config.pop("quantization_config", None)
        config["architectures"] = [type(model).__name__]  # vLLM picks its model class by this name
        config["torch_dtype"] = config["dtype"] = str(dtype).removeprefix("torch.")
        (tmp / "config.json").write_text(json.dumps(config, indent=2))
        model.generation_config.to_json_file(str(tmp / "generation_config.json"))
        tokenizer.save_pretrained(str(tmp))
        tmp.chmod(0o755)
        if out.exists():
            shutil.rmtree(out)
        tmp.rename(out)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("gguf", type=Path)
    parser.add_argument("out", type=Path)
    args = parser.parse_args(argv)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    print(convert(args.gguf.resolve(), args.out.resolve()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
