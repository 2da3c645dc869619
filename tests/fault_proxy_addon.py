"""mitmproxy addon: a reverse proxy in front of the LLM server that injects one fault at a time.

The fault in force is the first word of the file named by the `fault_file` option, read on every
connection and request, so a test switches faults between turns by rewriting that file:

- `ok`: pass everything through, streaming (no buffering, so the first token is not delayed);
- `refuse`: close every connection as soon as it is accepted or used, without a byte of answer;
- `down`: the upstream address is dead, so the proxy answers 502 Bad Gateway (a server behind nginx);
- `hang`: accept the request and send nothing back until the fault changes;
- `slow`: hold the request for SLOW_S, then pass it on (a swamped server that does answer);
- `garbage`: answer 200 with bytes that are neither JSON nor a stream of completion events;
- `cut`: stream the first few events of the real answer, then drop the connection mid-answer.

Started by tests/fault_proxy.py: mitmdump --mode reverse:URL -s fault_proxy_addon.py --set fault_file=F
"""

from __future__ import annotations

import asyncio
import json
import random
import re
from pathlib import Path

from mitmproxy import connection, ctx, http

CUT_AFTER_EVENTS = 4
"""`cut` passes this many streamed events (tokens) of the real answer before dropping the connection."""
HANG_LIMIT_S = 120.0
SLOW_S = 3.0
EVENT_END = re.compile(rb"\r?\n\r?\n")


class Faults:
    def load(self, loader) -> None:
        loader.add_option("fault_file", str, "", "file whose first word names the fault to inject")

    def mode(self) -> str:
        try:
            return Path(ctx.options.fault_file).read_text().split()[0]
        except (OSError, IndexError):
            return "ok"

    def client_connected(self, client: connection.Client) -> None:
        if self.mode() == "refuse":
            client.error = "fault injected: refused"

    async def request(self, flow: http.HTTPFlow) -> None:
        mode = self.mode()
        if mode == "refuse":
            flow.kill()
        elif mode == "down":
            flow.request.port = 9  # discard: nothing listens, so the proxy answers 502
        elif mode == "hang":
            waited = 0.0
            while self.mode() == "hang" and waited < HANG_LIMIT_S:
                await asyncio.sleep(0.05)
                waited += 0.05
            flow.kill()
        elif mode == "slow":
            await asyncio.sleep(SLOW_S)
        elif mode == "garbage":
            rng = random.Random(len(flow.request.content or b""))
            noise = bytes(rng.randrange(256) for _ in range(2000))
            body = b"<html>\x00\xff" + noise[:1000] + b'\n\ndata: {"choices": [' + noise[1000:] + b"\n\n"
            flow.response = http.Response.make(200, body, {"Content-Type": "text/event-stream"})
        elif mode == "cut" and flow.request.content:
            # Let the server end its answer right after the events we pass, so the drop follows at once.
            body = json.loads(flow.request.content)
            body["max_tokens"] = CUT_AFTER_EVENTS
            flow.request.content = json.dumps(body).encode()
            flow.metadata["cut"] = True

    def responseheaders(self, flow: http.HTTPFlow) -> None:
        if not flow.metadata.get("cut"):
            flow.response.stream = True
            return
        passed, pending = 0, b""

        def cut(data: bytes) -> list[bytes]:
            nonlocal passed, pending
            if flow.killable:
                flow.kill()  # takes effect when the server's answer ends: the client never sees its end
            pending += data
            out = b""
            while (end := EVENT_END.search(pending)) is not None:
                event, pending = pending[: end.end()], pending[end.end() :]
                if passed < CUT_AFTER_EVENTS and b"[DONE]" not in event:
                    out += event
                    passed += 1
            return [out] if out else []  # an empty chunk would end the chunked body cleanly

        flow.response.stream = cut


addons = [Faults()]
