"""Hostile and broken servers against the real CLI: one clean line, the documented exit code, no hang.

Every scenario of the catalogue (reliability_catalogue.py) is thrown at every
endpoint it applies to: the device authorization and token endpoints (through
``login``), ``/api/v1/cli/projects`` (``login --token``), ``/api/v1/cli/project``
(``link``) and the inference API's ``/v1/models`` (``api-key set``). The CLI
runs with SKYTELLS_HTTP_TIMEOUT=0.5 so stalls end quickly, and device logins
under a virtual clock so a 15-minute code expires in about a second.
"""

from __future__ import annotations

import contextlib
import shutil
import socket
import ssl
import subprocess
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from reliability_catalogue import SCENARIOS, TARGETS, Target, run_hostile
from reliability_support import (
    HostileServer,
    World,
    device_answer,
    fake_device_code,
    json_reply,
    reply,
)


@pytest.mark.parametrize("target", list(TARGETS.values()), ids=list(TARGETS))
def test_each_hostile_answer_ends_cleanly(tmp_path: Path, target: Target) -> None:
    scenarios = [s for s in SCENARIOS if target.name in s.codes]
    assert len(scenarios) >= 25
    with ThreadPoolExecutor(max_workers=8) as pool:
        outcomes = list(pool.map(lambda n_s: run_hostile(tmp_path / str(n_s[0]), n_s[1], target),
                                 enumerate(scenarios)))
    failures = [f"{o.scenario}: {'; '.join(o.problems)}\n{o.run}" for o in outcomes if o.problems]
    if failures:
        pytest.fail("\n\n".join(failures), pytrace=False)


def _approve_after(polls: int) -> list:
    pending = json_reply(428, {"error": "authorization_pending"})
    return [pending] * (polls - 1) + [json_reply(200, {"access_token": "at_" + "7" * 40, "token_type": "Bearer"})]


INTERVALS = [  # (announced interval as JSON text, polls in a 120 s window while pending)
    ("0", 24), ("-3", 24), ("NaN", 24), ("Infinity", 24), ('"5"', 24), ("null", 24), ("1" + "0" * 400, 24),
    ("0.001", 120), ("1e308", 2), ("86400", 2),
]


@pytest.mark.parametrize(("interval", "polls"), INTERVALS, ids=[i for i, _ in INTERVALS])
def test_missing_zero_negative_or_absurd_intervals_are_clamped(rel_world: World, rel_hostile: type[HostileServer],
                                                               interval: str, polls: int) -> None:
    server = rel_hostile()
    body = (f'{{"device_code": "{fake_device_code()}", "user_code": "WDJB-MJHT", '
            f'"verification_uri": "{server.url}/device", "expires_in": 120, "interval": {interval}}}')
    server.set("/api/oauth/device", reply(200, body))
    server.set("/api/oauth/token", json_reply(428, {"error": "authorization_pending"}))
    rel_world.point_at(server.url)
    run = rel_world.run("login", "--no-browser", virtual_clock=True)
    assert run.code == 4, run
    assert "Device code expired" in run.stderr
    assert len(server.requests_to("/api/oauth/token")) == polls


@pytest.mark.parametrize(("expires_in", "polls"), [("0", 15), ("-1", 15), ("1e12", 60), ("NaN", 15)])
def test_absurd_expiry_is_clamped(rel_world: World, rel_hostile: type[HostileServer], expires_in: str,
                                  polls: int) -> None:
    server = rel_hostile()
    body = (f'{{"device_code": "{fake_device_code()}", "user_code": "WDJB-MJHT", '
            f'"verification_uri": "{server.url}/device", "expires_in": {expires_in}, "interval": 60}}')
    server.set("/api/oauth/device", reply(200, body))
    server.set("/api/oauth/token", json_reply(428, {"error": "authorization_pending"}))
    rel_world.point_at(server.url)
    run = rel_world.run("login", "--no-browser", virtual_clock=True)
    assert run.code == 4, run
    assert len(server.requests_to("/api/oauth/token")) == polls


@pytest.mark.parametrize("expires_in", ["1e308", "1" + "0" * 400, "-5", "NaN"])
def test_absurd_token_lifetimes_do_not_break_the_login(rel_world: World, rel_hostile: type[HostileServer],
                                                       expires_in: str) -> None:
    server = rel_hostile()
    server.set("/api/oauth/device", json_reply(200, device_answer(server, fake_device_code())))
    server.set("/api/oauth/token", reply(200, f'{{"access_token": "at_{"8" * 40}", "expires_in": {expires_in}}}'))
    rel_world.point_at(server.url)
    run = rel_world.run("login", "--no-browser", virtual_clock=True)
    assert run.code in (0, 1), run
    assert "Traceback" not in run.output
    if run.code == 0:
        assert rel_world.run("whoami", "--offline").code == 0


def test_transient_failures_while_polling_recover(rel_world: World, rel_hostile: type[HostileServer]) -> None:
    """5xx, resets and stalls while polling are retried; approval after them still logs in."""
    from reliability_support import reset, stall

    server = rel_hostile()
    server.set("/api/oauth/device", json_reply(200, device_answer(server, fake_device_code())))
    server.set("/api/oauth/token", [json_reply(503, {}), reset, stall,
                                    json_reply(429, {}, headers=[("Retry-After", "3")]),
                                    json_reply(428, {"error": "authorization_pending"}), *_approve_after(1)])
    rel_world.point_at(server.url)
    run = rel_world.run("login", "--no-browser", virtual_clock=True, env={"SKYTELLS_HTTP_TIMEOUT": "0.5"})
    assert run.code == 0, run
    assert f"{server.host} had a problem (HTTP 503); retrying (giving up after 6 failed polls in a row)." in run.stderr
    assert "Connection restored; still waiting for authorization." in run.stderr
    assert rel_world.read_credentials()["token"] == "at_" + "7" * 40


def test_the_timeout_setting_is_checked(rel_world: World, rel_hostile: type[HostileServer]) -> None:
    server = rel_hostile()
    rel_world.point_at(server.url)
    for value in ("0", "-1", "soon", "nan", "100000"):
        run = rel_world.run("login", "--token", input="sk_pat_" + "1" * 64 + "\n",
                            env={"SKYTELLS_HTTP_TIMEOUT": value})
        assert run.code == 2, run
        assert run.error_lines == [run.stderr.strip().splitlines()[-1]]
        assert "SKYTELLS_HTTP_TIMEOUT" in run.stderr
    assert server.seen == []


def _tls_server(certificate: tuple[Path, Path] | None) -> tuple[socket.socket, threading.Thread]:
    """A server on 127.0.0.1 that does a TLS handshake with ``certificate``, or answers plain text (None)."""
    listener = socket.create_server(("127.0.0.1", 0))
    context = None
    if certificate is not None:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(*map(str, certificate))

    def serve() -> None:
        while True:
            try:
                connection, _address = listener.accept()
            except OSError:
                return
            with contextlib.suppress(OSError, ssl.SSLError):
                if context is None:
                    connection.sendall(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")
                else:
                    context.wrap_socket(connection, server_side=True).close()
            connection.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    return listener, thread


def _self_signed(directory: Path) -> tuple[Path, Path] | None:
    openssl = shutil.which("openssl")
    if not openssl:
        return None
    cert, key = directory / "cert.pem", directory / "key.pem"
    done = subprocess.run([openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key),
                           "-out", str(cert), "-days", "1", "-subj", "/CN=127.0.0.1",
                           "-addext", "subjectAltName=IP:127.0.0.1"], capture_output=True, check=False)
    return (cert, key) if done.returncode == 0 else None


def test_dns_and_tls_failures_are_one_line(rel_world: World, tmp_path: Path) -> None:
    servers = [_tls_server(None)]
    cases = [("https://skytells-test.invalid", "skytells-test.invalid", "Could not resolve"),
             (f"https://127.0.0.1:{servers[0][0].getsockname()[1]}", "", "is it an https server?")]
    certificate = _self_signed(tmp_path)
    if certificate is not None:
        servers.append(_tls_server(certificate))
        cases.append((f"https://127.0.0.1:{servers[1][0].getsockname()[1]}", "", "certificate could not be verified"))
    try:
        for url, host, says in cases:
            rel_world.point_at(url)
            run = rel_world.run("login", "--token", input="sk_pat_" + "2" * 64 + "\n",
                                env={"SKYTELLS_HTTP_TIMEOUT": "5"})
            assert run.code == 1, run
            host = host or url.removeprefix("https://")
            assert len(run.error_lines) == 1 and host in run.error_lines[0] and says in run.error_lines[0], run
            assert "Traceback" not in run.output
        assert certificate is not None, "openssl is needed for the certificate case"
    finally:
        for listener, _thread in servers:
            listener.close()


@pytest.mark.parametrize(("url", "code"), [("http://console.example.com", 2), ("ftp://console.example.com", 2),
                                           ("console.skytells.ai", 2), ("https://", 2)])
def test_a_mistaken_server_url_is_refused_before_any_credential_leaves(rel_world: World, url: str, code: int) -> None:
    token = "sk_pat_" + "4" * 64
    rel_world.write_credentials({"token": token})
    for args, stdin in ((("whoami",), None), (("login", "--token"), token), (("link", "-"), "sk_proj_" + "5" * 48)):
        run = rel_world.run(*args, input=stdin + "\n" if stdin else None, env={"SKYTELLS_API_URL": url})
        assert run.code == code, run
        assert len(run.error_lines) == 1 and "SKYTELLS_API_URL" in run.error_lines[0], run
        assert "Traceback" not in run.output and token not in run.output


def test_a_stored_token_is_only_sent_to_the_server_that_issued_it(rel_world: World,
                                                                  rel_hostile: type[HostileServer]) -> None:
    issuer, other = rel_hostile(), rel_hostile({"/api/v1/cli/projects": json_reply(200, {"data": []})})
    token = "sk_pat_" + "6" * 64
    rel_world.write_credentials({"token": token, "meta": {"token": {"method": "token", "host": issuer.url}}})
    rel_world.point_at(other.url)
    for args in (("whoami",), ("auth", "token")):
        run = rel_world.run(*args)
        assert run.code == 4, run
        assert f"was issued for {issuer.url}" in run.stderr and token not in run.output
    assert other.seen == []
