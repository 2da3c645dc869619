"""The web client in Firefox: Debian's firefox-esr, headless, driven over Marionette (no driver binary to
download). Its microphone is a private PulseAudio daemon's null sink, into which real speech is played;
the page must show the words and the reply, and hear the reply's audio, as in Chromium."""

from __future__ import annotations

import base64
import time
from pathlib import Path

import pytest
from live_server import LiveServer
from marionette_driver.marionette import Marionette
from virtual_audio import VirtualAudio

from assistant.config import load_config

FIREFOX = "/usr/bin/firefox-esr"
OUT = Path(__file__).resolve().parent.parent / "out" / "browser"
PREFS = {
    "media.navigator.permission.disabled": True,  # the microphone without a prompt, as a person allows it
    "media.autoplay.default": 0,  # ?autostart=1 plays the reply without a click
    "media.autoplay.block-webaudio": False,
    "media.getusermedia.audio.max_channels": 1,
}


@pytest.fixture(scope="module")
def server():
    cfg = load_config(overrides=["llm.temperature=0"])
    with LiveServer(cfg) as live:
        yield live


def page(client: Marionette, expression: str) -> object:
    """An expression evaluated against the page's own globals (Marionette's scripts see them through
    `wrappedJSObject`), copied out as JSON."""
    return client.execute_script(
        f"const window_ = window.wrappedJSObject; return JSON.parse(JSON.stringify({expression}) ?? 'null');"
    )


def wait_for(client: Marionette, expression: str, timeout_s: float) -> object:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        value = page(client, expression)
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for: {expression}")


def test_firefox_conversation(server, speech, tmp_path):
    with VirtualAudio() as audio:
        client = Marionette(bin=FIREFOX, headless=True, prefs=PREFS, gecko_log=str(tmp_path / "gecko.log"))
        try:
            client.start_session()
            client.navigate(f"{server.url}/?autostart=1")
            wait_for(client, "window_.assistantStats?.events.some(e => e.type === 'session')", 30)
            time.sleep(1.0)  # the first packets of the call
            audio.play_into_mic(speech["goforward"])
            wait_for(client, "window_.assistantStats.events.some(e => e.type === 'turn')", 40)
            time.sleep(2.0)  # the reply is heard
            entries = page(
                client,
                "[...document.querySelectorAll('#transcript [data-role]')]"
                ".map(e => [e.dataset.role, e.textContent])",
            )
            stats = page(client, "window_.assistantStats")
            OUT.mkdir(parents=True, exist_ok=True)
            (OUT / "firefox.png").write_bytes(base64.b64decode(client.screenshot()))
            print(f"Firefox: {entries}; voice-to-voice in the page {stats['voiceToVoice']} ms")
            user = [text for role, text in entries if role == "user"]
            assistant = [text for role, text in entries if role == "assistant"]
            assert any("forward" in text.lower() for text in user), entries
            assert any(text.strip() for text in assistant), entries
            assert stats["remoteAudio"]["peakDbfs"] > -40, "no reply audio was heard in the page"
        finally:
            client.cleanup()
    assert server.wait_sessions(0, timeout=30) == 0
