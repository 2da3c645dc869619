"""The conversation engine: turn-taking, barge-in, replies and the output buffer."""

from assistant.engine.conversation import Conversation

__all__ = ["Conversation"]
