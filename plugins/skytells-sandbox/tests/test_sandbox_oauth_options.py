"""Configuration and command-line options of the standard OAuth mode."""

from __future__ import annotations

import argparse
import io
import queue
import re
import signal
import subprocess
import sys
import threading

import pytest
import requests

from skytells_sandbox.config import DEFAULT_CLIENT_IDS, SandboxConfig
from skytells_sandbox.options import add_server_options, config_from_options


def parse(argv: list[str]) -> argparse.Namespace:
    return add_server_options(argparse.ArgumentParser()).parse_args(argv)


def test_config_defaults():
    config = SandboxConfig()

    assert (config.oidc, config.oauth_metadata, config.token_lifetime) == (False, True, 3600)
    assert config.client_ids == DEFAULT_CLIENT_IDS == ("skytells-cli",)


def test_client_ids_become_a_tuple():
    assert SandboxConfig(client_ids=["a", "b"]).client_ids == ("a", "b")


@pytest.mark.parametrize(
    "fields",
    [
        {"token_lifetime": 0},
        {"token_lifetime": -5},
        {"client_ids": ()},
        {"client_ids": "skytells-cli"},
        {"client_ids": ("",)},
        {"client_ids": ("two words",)},
        {"client_ids": (42,)},
    ],
)
def test_invalid_oauth_configs_are_refused(fields):
    with pytest.raises(ValueError):
        SandboxConfig(**fields)


def test_option_defaults_match_the_config():
    config = config_from_options(parse([]), access_log=None)

    assert (config.oidc, config.oauth_metadata, config.token_lifetime) == (False, True, 3600)
    assert config.client_ids == DEFAULT_CLIENT_IDS


def test_every_oauth_option_is_parsed():
    argv = ["--oidc", "--no-oauth-metadata", "--token-lifetime", "1"]
    argv += ["--client-id", "cli-a", "--client-id", "cli-b"]

    config = config_from_options(parse(argv), access_log=None)

    assert (config.oidc, config.oauth_metadata, config.token_lifetime) == (True, False, 1)
    assert config.client_ids == ("cli-a", "cli-b")


@pytest.mark.parametrize("value", ["0", "-1", "soon"])
def test_token_lifetime_must_be_positive(value, capsys):
    with pytest.raises(SystemExit) as stopped:
        parse(["--token-lifetime", value])

    assert stopped.value.code == 2


def test_bad_client_id_is_a_usage_error():
    from skytells_sandbox.commands import Serve

    class App:
        stderr = io.StringIO()

    command = Serve(App(), None)
    options = command.get_parser("skytells sandbox").parse_args(["--client-id", "has space"])

    assert command.take_action(options) == 2
    assert "client ids must not contain spaces" in App.stderr.getvalue()


def test_foreground_server_announces_the_oauth_setup():
    argv = ["--port", "0", "--oidc", "--token-lifetime", "7", "--client-id", "cli-a", "--quiet"]
    process = subprocess.Popen(
        [sys.executable, "-m", "skytells_sandbox", *argv],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    lines: queue.Queue[str] = queue.Queue()

    def read() -> None:
        for line in process.stderr:
            lines.put(line)

    threading.Thread(target=read, daemon=True).start()
    try:
        banner: list[str] = []
        while not banner or not banner[-1].startswith("Press Ctrl-C"):
            banner.append(lines.get(timeout=10))
        url = re.search(r"^export SKYTELLS_API_URL=(\S+)$", "".join(banner), re.M).group(1)
        assert f"export SKYTELLS_AI_API_URL={url}/v1\n" in banner
        summary = next(line for line in banner if line.startswith("Standard OAuth"))
        assert "OpenID Connect" in summary and "cli-a" in summary and "7s" in summary
        metadata = requests.get(f"{url}/.well-known/openid-configuration", timeout=5).json()
        assert metadata["issuer"] == url
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=10) == 0
    finally:
        process.kill()
        process.wait()
        process.stderr.close()


def test_token_exchange_and_dpop_options():
    assert config_from_options(parse([])).token_exchange is True
    config = config_from_options(parse(["--no-token-exchange", "--dpop", "--dpop-nonce"]))
    assert (config.token_exchange, config.dpop, config.dpop_nonce) == (False, True, True)
    with pytest.raises(ValueError, match="--dpop-nonce needs --dpop"):
        config_from_options(parse(["--dpop-nonce"]))
