import re

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from assistant.config import Config, ConfigError, load_config
from assistant.config_source import StrictLoader


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


# ---------------------------------------------------------------- where a YAML file is wrong

SECTIONS = list(Config.model_fields)


def _section_keys(section: str) -> list[str]:
    return list(Config.model_fields[section].annotation.model_fields)


def test_a_yaml_syntax_error_names_the_file_line_and_column(tmp_path):
    broken = tmp_path / "broken.yaml"
    broken.write_text("asr:\n  model: tiny\nllm: [unclosed\n")
    with pytest.raises(ConfigError) as caught:
        load_config(broken)
    assert str(caught.value) == (
        f"{broken}: not valid YAML at line 4, column 1: expected ',' or ']', but got '<stream end>' "
        "(while parsing a flow sequence that starts at line 3, column 6)"
    )


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=st.text(max_size=60))
def test_any_unreadable_yaml_is_said_with_the_file_never_unicode_string(tmp_path, text):
    path = tmp_path / "any.yaml"
    path.write_text(text, encoding="utf-8", errors="surrogatepass")
    try:
        load_config(path, environ={})
    except ConfigError as exc:
        assert "<unicode string>" not in str(exc)
        if "YAML" in str(exc) or "duplicate key" in str(exc):
            assert str(exc).startswith(f"{path}: "), str(exc)


@st.composite
def sections_with_keys(draw: st.DrawFn) -> list[tuple[str, list[str]]]:
    """Sections (each once) with keys drawn from their own, some maybe twice."""
    sections = draw(st.lists(st.sampled_from(SECTIONS), min_size=1, max_size=4, unique=True))
    return [(s, draw(st.lists(st.sampled_from(_section_keys(s)), min_size=1, max_size=5))) for s in sections]


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(layout=sections_with_keys())
def test_a_key_given_twice_is_refused_with_its_lines(tmp_path, layout):
    lines, expected = [], None
    for section, keys in layout:
        lines.append(f"{section}:")
        first_line: dict[str, int] = {}
        for key in keys:
            lines.append(f"  {key}: null")
            if key in first_line and expected is None:
                expected = f"duplicate key {key!r} at line {len(lines)} (first at line {first_line[key]})"
            first_line.setdefault(key, len(lines))
    path = tmp_path / "twice.yaml"
    path.write_text("\n".join(lines) + "\n")
    try:
        load_config(path, environ={})
    except ConfigError as exc:
        if expected:
            assert str(exc) == f"{path}: {expected}: a key may appear once in a mapping"
        else:
            assert "duplicate" not in str(exc)
    else:
        assert expected is None


def test_a_section_given_twice_and_a_duplicate_in_a_flag_are_refused(tmp_path):
    path = tmp_path / "twice.yaml"
    path.write_text("llm:\n  model: a\nasr:\n  model: b\nllm:\n  n_ctx: 512\n")
    with pytest.raises(ConfigError, match=r"twice\.yaml: duplicate key 'llm' at line 5 \(first at line 1\)"):
        load_config(path)
    with pytest.raises(ConfigError, match=r"tools\.load=\{a: 1, a: 2\}: duplicate key 'a'"):
        load_config(overrides=["tools.load={a: 1, a: 2}"])
    # a key that overrides one a merge key (<<) brought in is not a duplicate
    assert yaml.load("a: &b {m: 1}\nc:\n  <<: *b\n  m: 2\n", Loader=StrictLoader)["c"] == {"m": 2}


def test_unknown_sections_and_keys_list_the_valid_ones_with_a_suggestion(tmp_path):
    path = tmp_path / "typo.yaml"
    path.write_text("asrr:\n  model: tiny\n")
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert str(caught.value) == (
        "invalid config (typo.yaml): unknown section 'asrr' (did you mean 'asr'?); "
        "valid: audio, vad, asr, llm, tts, turn, echo, server, tools"
    )
    with pytest.raises(ConfigError) as caught:
        load_config(overrides=["llm.max_token=5"])
    assert (
        "unknown key 'llm.max_token' (did you mean 'llm.max_tokens'?); valid in llm: backend, model,"
        in str(caught.value)
    )


@settings(max_examples=200, deadline=None)
@given(data=st.data())
def test_any_unknown_name_lists_the_valid_ones(data):
    section = data.draw(st.sampled_from(SECTIONS))
    nested = data.draw(st.booleans())
    valid = _section_keys(section) if nested else SECTIONS
    name = data.draw(st.from_regex(r"[a-z_]{1,14}", fullmatch=True).filter(lambda n: n not in valid))
    dotted = f"{section}.{name}" if nested else f"{name}.model"
    with pytest.raises(ConfigError) as caught:
        load_config(overrides=[f"{dotted}=1"], environ={})
    message = str(caught.value)
    what = f"unknown key {dotted!r}" if nested else f"unknown section {name!r}"
    listed = f"valid in {section}: " if nested else "valid: "
    assert what in message and listed + ", ".join(valid) in message, message
    suggestion = re.search(r"did you mean '([^']+)'", message)
    if suggestion:
        assert suggestion.group(1).split(".")[-1] in valid


def test_a_flag_for_a_key_that_takes_text_is_the_text_as_typed():
    """`--set llm.system_prompt=Say: hi` was refused ("Input should be a valid string": YAML reads a
    mapping); "yes" would have been a boolean and "0.5" a number. A key that takes text gets the text."""
    for typed in ('Say: "hi"', "Say: hi", "yes", "0.5", "[a, b]", "{x: 1}", "Say: hi, then: bye"):
        assert load_config(overrides=[f"llm.system_prompt={typed}"]).llm.system_prompt == typed
    assert load_config(overrides=["llm.temperature=0.5"]).llm.temperature == 0.5  # numbers stay numbers
    with pytest.raises(ConfigError, match="temperature"):
        load_config(overrides=["llm.temperature=Say: hi"])


@settings(max_examples=300, deadline=None)
@given(
    st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), min_size=1, max_size=60)
)
def test_any_text_set_for_a_text_key_is_that_text(typed):
    """Generated text for `llm.system_prompt`, through a flag and through the environment: the text as
    typed (YAML's folding, quoting and typing play no part), or None where YAML reads a null."""
    try:
        null = yaml.load(typed, Loader=StrictLoader) is None
    except yaml.YAMLError:
        null = False
    for cfg in (
        load_config(overrides=[f"llm.system_prompt={typed}"], environ={}),
        load_config(environ={"ASSISTANT__LLM__SYSTEM_PROMPT": typed}),
    ):
        assert cfg.llm.system_prompt == (None if null else typed), typed
