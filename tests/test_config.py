import pytest

from assistant.config import ConfigError, load_config


def test_default_config_is_the_offline_one():
    cfg = load_config()
    assert cfg.asr.model == "bundled:tiny.en"
    assert cfg.llm.backend == "llamacpp" and cfg.llm.model == "bundled:qwen2.5-0.5b"
    assert cfg.tts.voice == "bundled:joe"


def test_unknown_key_is_refused_with_its_name(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("asr:\n  modle: tiny.en\n")
    with pytest.raises(ConfigError, match=r"asr\.modle"):
        load_config(bad)


def test_bad_value_names_the_key():
    with pytest.raises(ConfigError, match=r"vad\.engine"):
        load_config(overrides=["vad.engine=banana"])


def test_openai_backend_requires_url():
    with pytest.raises(ConfigError, match="base_url"):
        load_config(overrides=["llm.backend=openai"])


def test_environment_then_flags_override(tmp_path):
    cfg = load_config(
        overrides=["turn.endpoint_complete_ms=300"],
        environ={"ASSISTANT__TURN__ENDPOINT_COMPLETE_MS": "200", "ASSISTANT__VAD__ENGINE": "silero"},
    )
    assert cfg.turn.endpoint_complete_ms == 300
    assert cfg.vad.engine == "silero"


def test_missing_and_malformed_files(tmp_path):
    with pytest.raises(ConfigError, match="not found"):
        load_config(tmp_path / "nope.yaml")
    broken = tmp_path / "broken.yaml"
    broken.write_text("asr: [unclosed\n")
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_config(broken)


def test_an_unknown_tools_timezone_stops_the_start() -> None:
    with pytest.raises(ConfigError, match=r"tools\.timezone.*unknown time zone 'Mars/Base'"):
        load_config(overrides=["tools.timezone=Mars/Base"])
    assert load_config(overrides=["tools.timezone=Asia/Tokyo"]).tools.timezone == "Asia/Tokyo"
