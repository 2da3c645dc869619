"""Notes that survive a restart: one SQLite file in the assistant's data directory, for its owner's eyes only.

Sync tools run in a worker thread, so each call opens its own connection (sqlite3 connections must not be
shared across threads) and the schema is created on the spot if the file is new.

A full or read-only disk changes nothing: SQLite rolls the write back, the notes already stored stay
readable, and the tool says why in words the assistant can speak ("the disk is full, so nothing was
changed") instead of a database error.
"""

from __future__ import annotations

import errno
import logging
import os
import sqlite3
import time
from collections.abc import Iterator
from contextlib import closing, contextmanager, suppress
from functools import partial
from pathlib import Path
from typing import Annotated

from assistant.tools.builtin.speech import clean_text, plural
from assistant.tools.context import ToolContext
from assistant.tools.declare import tool

log = logging.getLogger(__name__)

DB_NAME = "notes.sqlite3"
READ_LAST = 5
MAX_NOTE = 1000

_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS notes (id INTEGER PRIMARY KEY, text TEXT NOT NULL, created REAL NOT NULL)"
)


def db_path(ctx: ToolContext) -> Path:
    return Path(ctx.data_dir) / DB_NAME


class NotesStorageError(RuntimeError):
    """The notes file cannot be written or read; the message is a reason the assistant can say."""


@contextmanager
def _connect(ctx: ToolContext, create: bool = True) -> Iterator[sqlite3.Connection | None]:
    """One connection per call, committed on success and always closed. `create=False`: None when there
    is no notes file yet (reading creates nothing)."""
    path = db_path(ctx)
    if not create and not path.exists():
        yield None
        return
    try:
        _private(path)
        with closing(sqlite3.connect(path, timeout=5.0)) as conn, conn:
            conn.execute(_SCHEMA)
            yield conn
    except (sqlite3.OperationalError, OSError) as exc:
        raise NotesStorageError(_storage_reason(exc)) from exc


def _private(path: Path) -> None:
    """Notes are personal: the data folder is the user's alone (0700) and so is the file (0600), which
    SQLite's journal files copy. Checked on every call, which also fixes what an older version made; a
    folder or file that cannot be changed (not ours, a read-only disk) is reported, and reading goes on."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    if not path.exists():
        with suppress(FileExistsError):
            os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
    for item, mode in ((path.parent, 0o700), (path, 0o600)):
        if item.stat().st_mode & 0o077:
            try:
                os.chmod(item, mode)
            except OSError as exc:
                log.warning("notes: cannot make %s private (%s)", item, exc.strerror)


def _storage_reason(exc: Exception) -> str:
    text = str(exc).lower()
    if getattr(exc, "errno", None) == errno.ENOSPC or "full" in text:
        return "the disk is full, so nothing was changed"
    if getattr(exc, "errno", None) in (errno.EROFS, errno.EACCES, errno.EPERM) or "readonly" in text:
        return "the notes folder is read-only, so nothing was changed"
    return f"I can't open the notes file ({exc}), so nothing was changed"


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
        row = conn.execute("INSERT INTO notes (text, created) VALUES (?, ?)", (note, time.time())).lastrowid
    ctx.undoable(partial(_unwrite, ctx, row, note))
    return f"Noted: {note}."


def _unwrite(ctx: ToolContext, row: int | None, note: str) -> str:
    """Undo of a note just written ("scratch that"): that note deleted, no other."""
    with _connect(ctx, create=False) as conn:
        gone = conn is not None and conn.execute("DELETE FROM notes WHERE id = ?", (row,)).rowcount > 0
    if not gone:
        raise ValueError("That note is no longer there.")
    return f"I took that note off: {note}."


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
    with _connect(ctx, create=False) as conn:
        if conn is None:
            return "You have no notes."
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
