"""What a running tool may ask of its conversation; handed in by type, so it never shows in schemas."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from assistant.tools.scheduler import Scheduler


@dataclass
class ToolContext:
    """Declare a parameter of this type (any name) and the assistant passes it in.

    `announce` makes the assistant say something on its own (as soon as the person is not speaking);
    `scheduler` runs announcements later (timers, reminders) and is cancelled with the conversation;
    `data_dir` is where tools keep what must survive a restart.
    """

    session_id: str
    data_dir: Path
    timezone: str
    announce: Callable[[str], None]
    scheduler: Scheduler
    extra: dict[str, object] = field(default_factory=dict)
