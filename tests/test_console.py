"""What the command line shows of a conversation's events (`assistant/console.py`)."""

from __future__ import annotations

import io

from assistant.console import ConsoleView
from assistant.events import BargeIn, Resumed


def test_a_resumed_reply_is_said_to_resume_only_when_it_had_paused() -> None:
    """A burst judged a sound before any of the reply played had printed "(not an interruption:
    resuming)" with nothing interrupted (a loud clipped recording, 2026-12-05)."""
    out = io.StringIO()
    view = ConsoleView(out)
    view.show(Resumed(1))
    view.show(BargeIn(2, 120.0))
    view.show(Resumed(2))
    assert out.getvalue().splitlines() == [
        "  (a sound, not words: still answering)",
        "  (paused for your voice after 120 ms)",
        "  (not an interruption: resuming)",
    ]
