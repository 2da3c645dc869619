"""The names of the benchmark's passes (a module of its own so that the CLI can list them cheaply)."""

from __future__ import annotations

PASSES = ("rtf", "plain", "barge_in", "noise", "echo", "sessions")
"""The default passes, in the order they run; `rtf` times ASR before and TTS after the others."""

USE_PASSES = ("multiturn", "pauses", "short", "claps", "backchannel")
"""The use-like passes (usecases.py), run after the default ones when asked for."""

QUALITY_PASSES = ("dialogue",)
"""The conversation-quality benchmark (dialogue_pass.py): spoken dialogues, scored; run only when named."""

ALIASES = {"default": PASSES, "use": USE_PASSES, "all": (*PASSES, *USE_PASSES)}
"""Names that stand for several passes in `--passes`."""
