"""The tools every assistant has, offline: the time, arithmetic, unit conversion, timers, reminders, notes."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from assistant.tools.builtin.calculator import calculate
from assistant.tools.builtin.clock import current_time
from assistant.tools.builtin.notes import add_note, delete_notes, read_notes
from assistant.tools.builtin.timers import (
    cancel_timer,
    change_timer,
    list_timers,
    set_reminder,
    set_timer,
)
from assistant.tools.builtin.units import convert_units

BUILTIN_TOOLS: list[Callable[..., Any]] = [
    current_time,
    calculate,
    convert_units,
    set_timer,
    set_reminder,
    cancel_timer,
    change_timer,
    list_timers,
    add_note,
    read_notes,
    delete_notes,
]

__all__ = [
    "BUILTIN_TOOLS",
    "add_note",
    "calculate",
    "cancel_timer",
    "change_timer",
    "convert_units",
    "current_time",
    "delete_notes",
    "list_timers",
    "read_notes",
    "set_reminder",
    "set_timer",
]
