"""The web client in a real headless Chromium: recorded speech goes in as the fake microphone, over WebRTC
to `assistant serve`, and the page must show the words, the reply, and receive the reply's audio."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from live_server import LiveServer, launch_chromium
from playwright.sync_api import Page, sync_playwright

from assistant.audio import read_audio, write_wav
from assistant.config import load_config

OUT = Path(__file__).resolve().parent.parent / "out" / "browser"


def silence(seconds: float) -> np.ndarray:
    return np.zeros(int(16000 * seconds), np.int16)


@pytest.fixture(scope="module")
def server():
    cfg = load_config(overrides=["llm.temperature=0"])
    with LiveServer(cfg) as live:
        yield live


def open_page(playwright, server: LiveServer, wav: Path, path: str = "/?autostart=1") -> tuple[object, Page]:
    browser = launch_chromium(playwright, wav)
    page = browser.new_page(viewport={"width": 1100, "height": 900})
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    # The page's Content-Security-Policy has no 'unsafe-inline': anything it blocks is reported here.
    page.on("console", lambda m: errors.append(m.text) if "Content Security Policy" in m.text else None)
    page.goto(f"{server.url}{path}")
    page.errors = errors  # type: ignore[attr-defined]
    return browser, page


def stats(page: Page) -> dict:
    return page.evaluate("JSON.parse(JSON.stringify(window.assistantStats))")


def save(name: str, page: Page) -> dict:
    OUT.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(OUT / f"{name}.png"), full_page=True)
    data = stats(page)
    data.pop("events", None)
    (OUT / f"{name}.json").write_text(json.dumps(data, indent=2))
    return data


def test_browser_conversation(server, speech, tmp_path):
    wav = tmp_path / "question.wav"
    write_wav(wav, np.concatenate([silence(1.5), read_audio(speech["goforward"]), silence(12)]), 16000)
    with sync_playwright() as pw:
        browser, page = open_page(pw, server, wav)
        try:
            page.wait_for_function(
                "() => document.querySelector('#transcript [data-role=user]')?.textContent.toLowerCase()"
                ".includes('forward')",
                timeout=30000,
            )
            page.wait_for_function(
                "() => window.assistantStats.events.some(e => e.type === 'turn')", timeout=30000
            )
            page.wait_for_timeout(500)
            assistant = page.locator("#transcript [data-role=assistant]").first.text_content()
            data = save("conversation", page)
            assert assistant and assistant.strip()
            assert data["remoteAudio"]["frames"] > 10 and data["remoteAudio"]["peakDbfs"] > -40
            assert not page.errors, page.errors  # type: ignore[attr-defined]
        finally:
            browser.close()
    assert server.wait_sessions(0, timeout=30) == 0


def test_browser_interrupts_the_assistant(server, speech, tmp_path):
    """A request for a story (said by the bundled voice: its reply runs several sentences), then a real
    reading 2 s after it, while the reply plays. A remark ("Feels like these days go on forever") got
    "I see.", over before anyone could interrupt it once its turn ended after 280 ms."""
    from spoken import steady_voice

    question = steady_voice().synthesize_sync("Tell me a story about a little dragon who learns to fly.")
    interruption = read_audio(speech["sense_and_sensibility_01_austen_64kb-0870"])
    wav = tmp_path / "interrupt.wav"
    write_wav(wav, np.concatenate([silence(1.5), question, silence(2.0), interruption, silence(10)]), 16000)
    with sync_playwright() as pw:
        browser, page = open_page(pw, server, wav)
        try:
            page.wait_for_selector(
                "#transcript [data-role=assistant][data-interrupted=true]", state="attached", timeout=40000
            )
            page.wait_for_timeout(1000)
            events = page.evaluate("window.assistantStats.events")
            save("interrupted", page)
            assert not page.errors, page.errors  # type: ignore[attr-defined]
            cut = [e for e in events if e["type"] == "reply_ended" and e["interrupted"]]
            assert cut, "the server never reported an interrupted reply"
            turn = next(e["turn"] for e in events if e["type"] == "turn" and e["turn"]["interrupted"])
            assert turn["assistant_text"] in turn["generated_text"]
        finally:
            browser.close()
    assert server.wait_sessions(0, timeout=30) == 0


SECRET = "browser-test-secret-0123456789"


def test_browser_signs_in_with_the_secret(speech, tmp_path):
    """A server with a secret: the page asks for it, refuses a wrong one, and talks once signed in; a link
    with #token=SECRET signs in and the secret leaves the address bar."""
    wav = tmp_path / "question.wav"
    write_wav(wav, np.concatenate([silence(1.5), read_audio(speech["goforward"]), silence(12)]), 16000)
    cfg = load_config(overrides=["llm.temperature=0"])
    with LiveServer(cfg, secret=SECRET) as server, sync_playwright() as pw:
        browser, page = open_page(pw, server, wav)
        try:
            page.wait_for_selector("#signin", state="visible", timeout=15000)
            assert "secret" in page.text_content("#status").lower()
            assert server.sessions() == 0 and not server.manager.pending
            page.fill("#secret", "not-the-secret-at-all")
            page.click("#signin button")
            page.wait_for_function(
                "() => document.querySelector('#status').textContent.includes('wrong secret')"
            )
            page.fill("#secret", SECRET)
            page.click("#signin button")
            page.wait_for_function(
                "() => window.assistantStats.events.some(e => e.type === 'turn')", timeout=40000
            )
            turn = next(e["turn"] for e in stats(page)["events"] if e["type"] == "turn")
            assert "forward" in turn["user_text"].lower()
            assert not page.errors, page.errors  # type: ignore[attr-defined]

            linked = browser.new_page()  # a fresh context: no cookie yet
            linked.goto(f"{server.url}/#token={SECRET}")
            linked.wait_for_function(
                "() => document.querySelector('#status').textContent.includes('Signed in')"
            )
            assert SECRET not in linked.url
            assert linked.evaluate("fetch('/session', {method: 'POST'}).then(r => r.status)") == 200
        finally:
            browser.close()
        assert server.wait_sessions(0, timeout=30) == 0
