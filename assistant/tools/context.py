"""What a running tool may ask of its conversation; handed in by type, so it never shows in schemas."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from assistant.tools.scheduler import Scheduler

Undo = Callable[[], "str | Awaitable[str]"]
"""Takes a call's deed back and returns what to say ("I cancelled your pasta timer.")."""


@dataclass
class ToolContext:
    """Declare a parameter of this type (any name) and the assistant passes it in.

    `announce` makes the assistant say something on its own (as soon as the person is not speaking);
    `scheduler` runs announcements later (timers, reminders) and is cancelled with the conversation;
    `data_dir` is where tools keep what must survive a restart; `undoable` says how to take back what
    the call did, for "cancel that" said soon after (assistant.engine.take_back).
    """

    session_id: str
    data_dir: Path
    timezone: str
    announce: Callable[[str], None]
    scheduler: Scheduler
    extra: dict[str, object] = field(default_factory=dict)
    undo: Undo | None = None
    """What `undoable` was given during the call this context was handed to (each call gets its own copy)."""

    def undoable(self, undo: Undo) -> None:
        """Say how to take back what this call has just done, once it can no longer fail: `undo()` does
        it and returns what to say. An async `undo` runs on the event loop (timers must), a plain one on
        a thread of its own, as tools do; a ValueError it raises is said instead."""
        self.undo = undo
