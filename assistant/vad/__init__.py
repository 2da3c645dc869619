"""Voice activity detection: frame classifiers (webrtcvad, Silero) and the speech detector built on them."""

from assistant.vad.detector import SpeechDetector, make_classifier

__all__ = ["SpeechDetector", "make_classifier"]
