"""Notes that survive a restart: one SQLite file in the assistant's data directory.

Sync tools run in a worker thread, so each call opens its own connection (sqlite3 connections must not be
shared across threads) and the schema is created on the spot if the file is new.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path
from typing import Annotated

from assistant.tools.builtin.speech import clean_text, plural
from assistant.tools.context import ToolContext
from assistant.tools.declare import tool

DB_NAME = "notes.sqlite3"
READ_LAST = 5
MAX_NOTE = 1000

_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS notes (id INTEGER PRIMARY KEY, text TEXT NOT NULL, created REAL NOT NULL)"
)


def db_path(ctx: ToolContext) -> Path:
    return Path(ctx.data_dir) / DB_NAME


@contextmanager
def _connect(ctx: ToolContext) -> Iterator[sqlite3.Connection]:
    """One connection per call, committed on success and always closed."""
    path = db_path(ctx)
    path.parent.mkdir(parents=True, exist_ok=True)
    with closing(sqlite3.connect(path, timeout=5.0)) as conn, conn:
        conn.execute(_SCHEMA)
        yield conn


@tool(
    timeout_s=5.0,
    cancel_on_interrupt=False,
    examples=[
        "take a note: buy milk",
        "make a note to call the plumber",
        "write down that the wifi password is on the fridge",
        "note that I parked on level 3",
        "remember that Sam's birthday is in June",
        "add a note: pick up the dry cleaning",
        "jot down buy batteries",
    ],
)
def add_note(ctx: ToolContext, text: Annotated[str, "what to write down"]) -> str:
    """Write something down for later; notes are kept across restarts."""
    note = clean_text(text)
    if not note:
        raise ValueError("What should I write down?")
    if len(note) > MAX_NOTE:
        raise ValueError("That note is too long for me.")
    with _connect(ctx) as conn:
        conn.execute("INSERT INTO notes (text, created) VALUES (?, ?)", (note, time.time()))
    return f"Noted: {note}."


@tool(
    timeout_s=5.0,
    cancel_on_interrupt=False,
    examples=[
        "read my notes",
        "what are my notes",
        "what did I write down",
        "do I have any notes",
        "read me my last note",
        "what's in my notes",
    ],
)
def read_notes(ctx: ToolContext) -> str:
    """Read back the latest notes, newest first."""
    with _connect(ctx) as conn:
        total = conn.execute("SELECT COUNT(*) FROM notes").fetchone()[0]
        rows = conn.execute("SELECT text FROM notes ORDER BY id DESC LIMIT ?", (READ_LAST,)).fetchall()
    if not rows:
        return "You have no notes."
    texts = "; ".join(row[0] for row in rows)
    if total == 1:
        return f"You have 1 note: {texts}."
    if total <= READ_LAST:
        return f"You have {plural(total, 'note')}, newest first: {texts}."
    return f"You have {plural(total, 'note')}. The last {READ_LAST}, newest first: {texts}."


@tool(
    confirm="Should I delete all your notes? That cannot be undone. Say yes to go ahead.",
    timeout_s=5.0,
    cancel_on_interrupt=False,
    examples=[
        "delete my notes",
        "delete all my notes",
        "clear my notes",
        "erase all notes",
        "throw away my notes",
        "remove every note",
    ],
)
def delete_notes(ctx: ToolContext) -> str:
    """Delete all notes for good; it cannot be undone, so the assistant asks first."""
    with _connect(ctx) as conn:
        count = conn.execute("DELETE FROM notes").rowcount
    if count == 0:
        return "You have no notes."
    return "I deleted your note." if count == 1 else f"I deleted your {count} notes."
