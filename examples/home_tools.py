"""Two custom tools, as a user would write them: `assistant mic --tools examples/home_tools.py`.

Plain functions with type hints and docstrings; `examples=` teaches the speech-to-intent fast path, so
"turn off the living room lights" runs `set_lights` straight from the transcript, without the LLM.
The lights are pretend: their state is kept in a JSON file ($HOME_TOOLS_STATE, or
~/.local/share/assistant/home_lights.json), so that you can see what a voice command changed.
"""

from __future__ import annotations

import json
import os
import random
from pathlib import Path
from typing import Annotated, Literal

from assistant.tools import tool

Room = Literal["kitchen", "living room", "bedroom", "office"]


def state_file() -> Path:
    override = os.environ.get("HOME_TOOLS_STATE")
    if override:
        return Path(override).expanduser()
    data_home = Path(os.environ.get("XDG_DATA_HOME") or "~/.local/share").expanduser()
    return data_home / "assistant" / "home_lights.json"


def _load() -> dict[str, dict[str, object]]:
    try:
        return json.loads(state_file().read_text())
    except (FileNotFoundError, json.JSONDecodeError):
        return {}


@tool(
    timeout_s=2.0,
    examples=[
        "turn on the kitchen lights",
        "switch off the lights in the bedroom",
        "turn the living room lights off",
        "dim the office lights to 30 percent",
        "set the bedroom lights to 80 percent",
        "lights on in the living room",
        "turn off the light in the office",
    ],
)
def set_lights(
    room: Room,
    on: bool = True,
    brightness: Annotated[int | None, "percent"] = None,
) -> str:
    """Turn the lights in a room on or off, or set how bright they are.

    Args:
        room: which room's lights
        on: true to switch the lights on, false to switch them off
    """
    if brightness is not None and not 0 <= brightness <= 100:
        raise ValueError("brightness must be between 0 and 100 percent")
    if brightness == 0:
        on = False
    state = _load()
    level = brightness if brightness is not None else state.get(room, {}).get("brightness", 100)
    state[room] = {"on": on, "brightness": level}
    path = state_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(state, indent=2, sort_keys=True))
    if not on:
        return f"The {room} lights are off."
    return f"The {room} lights are on at {level} percent."


@tool(
    timeout_s=2.0,
    examples=[
        "roll a die",
        "roll the dice",
        "roll two dice",
        "roll a 20 sided die",
        "roll three dice with 8 sides",
        "throw a pair of dice",
    ],
)
def roll_dice(count: int = 1, sides: int = 6) -> str:
    """Roll dice and say each roll and the total.

    Args:
        count: how many dice to roll
        sides: how many sides each die has
    """
    if not 1 <= count <= 100:
        raise ValueError("I can roll between 1 and 100 dice")
    if not 2 <= sides <= 1000:
        raise ValueError("a die needs between 2 and 1000 sides")
    rolls = [random.randint(1, sides) for _ in range(count)]
    if count == 1:
        return f"You rolled {rolls[0]}."
    listed = ", ".join(str(r) for r in rolls[:-1]) + f" and {rolls[-1]}"
    return f"You rolled {listed}: {sum(rolls)} in total."
