"""Turn detection's audio model: Smart Turn v3.2 (the rule that weighs it is `engine/end_of_turn.py`)."""

from assistant.turn.smart_turn import SmartTurn, SmartTurnError

__all__ = ["SmartTurn", "SmartTurnError"]
