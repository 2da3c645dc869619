"""Personal data: what a person says, and what the assistant answers, stays out of the logs (every logger,
every level, and the process's own stderr) and out of /metrics; notes are readable by their owner only."""

from __future__ import annotations

import json
import logging
import os
import re
import sqlite3
import stat

import numpy as np
import pytest
from live_server import LiveServer
from peers import talk_over_websocket
from spoken import steady_voice

from assistant.audio import read_audio
from assistant.config import load_config
from assistant.events import TurnCompleted
from assistant.metrics import Metrics
from assistant.tools import ToolContext
from assistant.tools.builtin.notes import add_note, read_notes
from assistant.tools.scheduler import Scheduler


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    data = tmp_path_factory.mktemp("assistant-data") / "notes-folder"
    cfg = load_config(overrides=["llm.temperature=0", f"tools.data_dir={data}", "tools.entry_points=false"])
    with LiveServer(cfg) as live:
        yield live, data


def words_of(texts: list[str]) -> set[str]:
    """The distinctive words: five letters or more (short ones such as "note" also name things in logs)."""
    return {w for text in texts for w in re.findall(r"[a-z]{5,}", text.lower())}


async def test_what_is_said_stays_out_of_logs_and_metrics(server, speech, caplog, capfd):
    live, data = server
    for name in ["", *logging.root.manager.loggerDict]:  # every logger, at every level
        caplog.set_level(logging.DEBUG, logger=name)
    caplog.set_level(logging.INFO, logger="websockets.client")  # the test's own client: it reads the words
    voice = steady_voice()
    note = np.concatenate(
        [voice.synthesize_sync("Take a note, buy purple bananas."), np.zeros(4800, np.int16)]
    )
    texts: list[str] = []
    for audio in (read_audio(speech["goforward"]), note):
        events, _ = await talk_over_websocket(live.ws_url, audio, tail_s=2, limit_s=90)
        turns = [e["turn"] for e in events if e["type"] == "turn"]
        assert turns, [e["type"] for e in events]
        texts += [t["user_text"] for t in turns] + [t["assistant_text"] for t in turns]
        texts += [json.dumps(call["arguments"]) for t in turns for call in t["tool_calls"]]
    said = words_of(texts)
    assert "forward" in said and len(said) >= 5, texts  # real words, understood

    out, err = capfd.readouterr()
    logs = "\n".join(r.getMessage() for r in caplog.records) + out + err
    assert any(r.name == "assistant.turns" for r in caplog.records), "no per-turn log line at all"
    assert len(caplog.records) > 10, "the logs were not captured"
    metrics = live.metrics()
    leaks = [line for line in logs.splitlines() if any(w in line.lower() for w in said)]
    assert not leaks, leaks[:5]
    assert not {w for w in said if w in metrics.lower()}, "transcripts reached /metrics"

    # The note was written where the config says, for its owner's eyes only.
    database = data / "notes.sqlite3"
    with sqlite3.connect(database) as conn:
        (stored,) = conn.execute("SELECT text FROM notes").fetchone()
    assert any(stored.lower().rstrip(".") in text.lower() for text in texts), (stored, texts)
    assert stat.S_IMODE(data.stat().st_mode) == 0o700
    assert stat.S_IMODE(database.stat().st_mode) == 0o600


def test_the_words_are_found_when_transcript_logging_is_asked_for(caplog):
    """The check above can fail: with server.log_transcripts the same grep finds the words."""
    caplog.set_level(logging.INFO, logger="assistant.turns")
    turn = {
        "user_text": "Buy purple bananas.",
        "assistant_text": "Noted.",
        "timings_ms": {},
        "tool_calls": [],
    }
    Metrics(log_transcripts=False).observe(TurnCompleted(turn), "s1")
    assert "purple" not in caplog.text
    Metrics(log_transcripts=True).observe(TurnCompleted(turn), "s2")
    assert "purple" in caplog.text


def test_notes_are_private_even_with_a_permissive_umask_or_an_older_file(tmp_path):
    data = tmp_path / "data"
    ctx = ToolContext("t", data, "UTC", lambda _: None, Scheduler(lambda _: None))
    old = os.umask(0)
    try:
        add_note(ctx, "the spare key is under the blue pot")
    finally:
        os.umask(old)
    assert stat.S_IMODE(data.stat().st_mode) == 0o700
    assert stat.S_IMODE((data / "notes.sqlite3").stat().st_mode) == 0o600
    os.chmod(data, 0o755)  # as a version before this one left them
    os.chmod(data / "notes.sqlite3", 0o644)
    assert "blue pot" in read_notes(ctx)
    assert stat.S_IMODE(data.stat().st_mode) == 0o700
    assert stat.S_IMODE((data / "notes.sqlite3").stat().st_mode) == 0o600
    assert not [p.name for p in data.iterdir() if stat.S_IMODE(p.stat().st_mode) & 0o077]
