"""Three custom tools, as a user would write them: `assistant mic --tools examples/home_tools.py`.

Plain functions with type hints and docstrings; `examples=` teaches the speech-to-intent fast path, so
"turn off the living room lights" runs `set_lights` straight from the transcript, without the LLM.
The lights and the robot are pretend: their state is kept in a JSON file ($HOME_TOOLS_STATE, or
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


def _save(state: dict[str, dict[str, object]]) -> None:
    path = state_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(state, indent=2, sort_keys=True))


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
    _save(state)
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


_STEP = {"forward": (0, 1), "back": (0, -1), "left": (-1, 0), "right": (1, 0)}


@tool(
    timeout_s=2.0,
    examples=[
        "go forward 2 meters",
        "move the robot back 1 meter",
        "drive left 3 meters",
        "robot go right",
        "turn the robot left",
        "move forward",
    ],
)
def move_robot(
    direction: Literal["forward", "back", "left", "right"],
    distance: Annotated[float, "meters"] = 1.0,
) -> str:
    """Drive the floor robot some meters in a direction, and say where it is now.

    Args:
        direction: which way to go, as the robot faces the room
        distance: how far to go
    """
    if not 0 < distance <= 20:
        raise ValueError("the robot moves between 0 and 20 meters at a time")
    state = _load()
    x, y = (float(v) for v in state.get("robot", {}).get("position", [0.0, 0.0]))  # type: ignore[union-attr]
    dx, dy = _STEP[direction]
    x, y = round(x + dx * distance, 2), round(y + dy * distance, 2)
    state["robot"] = {"position": [x, y]}
    _save(state)
    return f"The robot went {direction} {distance:g} meters; it is at {x:g}, {y:g} from its dock."
