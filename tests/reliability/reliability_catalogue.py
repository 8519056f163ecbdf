"""The catalogue of hostile answers and the CLI commands they are thrown at.

Each :class:`Scenario` is one way a server or a proxy can misbehave; each
:class:`Target` is one endpoint the CLI calls and the command that calls it.
:func:`run_hostile` plays one scenario against one target with the real CLI
and :func:`judge` lists everything wrong with how the CLI ended.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from email.utils import formatdate
from pathlib import Path

from reliability_support import (
    SHORT_HTTP_TIMEOUT,
    Behaviour,
    HostileServer,
    Run,
    World,
    clean_failure_problems,
    close_without_answer,
    deeply_nested,
    device_answer,
    fake_device_code,
    fake_pat,
    fake_project_key,
    gzip_bomb,
    html_reply,
    json_reply,
    leaks,
    not_http,
    oversized,
    redirect,
    reply,
    reset,
    reset_mid_body,
    stall,
    too_many_headers,
    trickle_body,
    trickle_headers,
    truncated_body,
)

BODY_MARKER = "HOSTILE-PAGE"
#: Seconds (of virtual time) a hostile device authorization lasts, unless a scenario needs more.
DEVICE_EXPIRES_IN = 30


@dataclass(frozen=True)
class Target:
    """An endpoint made hostile, and the command that calls it."""

    name: str
    path: str
    args: tuple[str, ...]
    #: Makes the secret piped to the command (None: stdin is empty).
    secret: Callable[[], str] | None = None
    virtual_clock: bool = False


TARGETS = {
    "device": Target("device", "/api/oauth/device", ("login", "--no-browser"), virtual_clock=True),
    "token": Target("token", "/api/oauth/token", ("login", "--no-browser"), virtual_clock=True),
    "projects": Target("projects", "/api/v1/cli/projects", ("login", "--token"), secret=fake_pat),
    "project": Target("project", "/api/v1/cli/project", ("link", "-"), secret=fake_project_key),
    "models": Target("models", "/v1/models", ("api-key", "set"), secret=lambda: "sbx_key_" + "5e" * 24),
}

# Expected exit codes by target. Transient trouble while polling is retried until the code expires (4).
TRANSIENT = {"device": 1, "token": 4, "projects": 1, "project": 1, "models": 1}
UNUSABLE = {"device": 1, "token": 1, "projects": 1, "project": 1, "models": 1}
REFUSED = {"device": 4, "token": 4, "projects": 4, "project": 4, "models": 4}
ODD_STATUS = {"device": 1, "token": 4, "projects": 1, "project": 1, "models": 1}

#: Makes the behaviour, given the hostile server and a second server on another host name.
Factory = Callable[[HostileServer, HostileServer, Target], Behaviour]


def _fixed(behaviour: Behaviour) -> Factory:
    return lambda _server, _other, _target: behaviour


@dataclass(frozen=True)
class Scenario:
    """One misbehaviour and the exit code it must end with, per target it applies to."""

    name: str
    make: Factory
    codes: Mapping[str, int]
    expires_in: float = DEVICE_EXPIRES_IN
    #: Text that must appear in the error line (besides the host).
    says: tuple[str, ...] = field(default_factory=tuple)
    #: False when the error is about the user, not the server (the code expired unused).
    names_host: bool = True
    #: SKYTELLS_HTTP_TIMEOUT for the run: short where the point is to time out, else generous so that a
    #: loaded machine cannot turn another failure into a timeout.
    http_timeout: str = "10"


def _retry_after_date() -> Behaviour:
    return json_reply(429, {"error": "rate_limited"},
                      headers=[("Retry-After", formatdate(time.time() + 30, usegmt=True))])


def _elsewhere(other: HostileServer, target: Target) -> str:
    """The same endpoint on another host name (localhost instead of 127.0.0.1), where a leak would land."""
    return f"http://localhost:{other.host.rsplit(':', 1)[1]}{target.path}"


ESCAPES = "\x1b[2J\x1b]0;owned\x07\r\nerror: a fake line\u202eevil\u2066"

SCENARIOS = [
    Scenario("HTML page with 200 (captive portal)", _fixed(html_reply(200, BODY_MARKER)), UNUSABLE),
    Scenario("HTML page with 502 (proxy)", _fixed(html_reply(502, BODY_MARKER)), TRANSIENT),
    Scenario("plain text 500", _fixed(reply(500, f"Internal Server Error {BODY_MARKER}", content_type="text/plain")),
             TRANSIENT),
    Scenario("JSON 503 with Retry-After", _fixed(json_reply(503, {"message": "maintenance"},
                                                            headers=[("Retry-After", "5")])), TRANSIENT),
    Scenario("429 with Retry-After seconds", _fixed(json_reply(429, {"error": "slow"}, headers=[("Retry-After", "7")])),
             TRANSIENT),
    Scenario("429 with Retry-After HTTP date", lambda _s, _o, _t: _retry_after_date(), TRANSIENT),
    Scenario("429 with absurd Retry-After", _fixed(json_reply(429, {}, headers=[("Retry-After", "9" * 30)])),
             TRANSIENT),
    Scenario("429 with garbage Retry-After", _fixed(json_reply(429, {}, headers=[("Retry-After", "soon\u00b2")])),
             TRANSIENT),
    Scenario("empty 200", _fixed(reply(200, b"")), UNUSABLE),
    Scenario("body not UTF-8", _fixed(reply(200, b"\xff\xfe\xfa{" + BODY_MARKER.encode())), UNUSABLE),
    Scenario("JSON nested 100000 deep", _fixed(deeply_nested()), UNUSABLE),
    Scenario("2 MiB body", _fixed(oversized()), UNUSABLE, says=("larger than",)),
    Scenario("2 MiB error page", _fixed(oversized(500)), UNUSABLE, says=("larger than",)),
    Scenario("gzip bomb (20 MiB inflated)", _fixed(gzip_bomb), UNUSABLE, says=("larger than",)),
    Scenario("JSON array", _fixed(json_reply(200, [])), {"device": 1, "token": 1, "project": 1}),
    Scenario("JSON string", _fixed(json_reply(200, BODY_MARKER)), {"device": 1, "token": 1, "project": 1}),
    Scenario("JSON null", _fixed(json_reply(200, None)), {"device": 1, "token": 1, "project": 1}),
    Scenario("wrapped number", _fixed(json_reply(200, {"data": 5})), {"device": 1, "token": 1, "project": 1}),
    Scenario("missing fields", _fixed(json_reply(200, {})), {"device": 1, "token": 1}),
    Scenario("wrong field types", _fixed(json_reply(200, {
        "device_code": 5, "user_code": ["x"], "verification_uri": {"u": 1}, "access_token": ["x"],
        "token_type": 7, "scopes": {"a": 1}})), {"device": 1, "token": 1}),
    Scenario("absurdly long fields", _fixed(json_reply(200, {
        "device_code": "d" * 5000, "user_code": "U" * 5000, "verification_uri": "https://x/" + "v" * 5000,
        "access_token": "t" * 9000})), {"device": 1, "token": 1}),
    Scenario("redirect to another host", lambda _s, other, target: redirect(302, _elsewhere(other, target)),
             UNUSABLE, says=("redirect",)),
    Scenario("307 to another host", lambda _s, other, target: redirect(307, _elsewhere(other, target)),
             UNUSABLE, says=("redirect",)),
    Scenario("redirect to plain http", _fixed(redirect(301, "http://console.example.invalid/login")), UNUSABLE,
             says=("redirect",)),
    Scenario("redirect with escapes in Location", _fixed(redirect(302, b"https://x.invalid/\x1b[2J\x1b]0;t\x07")),
             UNUSABLE, says=("redirect",)),
    Scenario("connection closed without answer", _fixed(close_without_answer), TRANSIENT),
    Scenario("connection reset", _fixed(reset), TRANSIENT),
    Scenario("reset in the middle of the body", _fixed(reset_mid_body), TRANSIENT),
    Scenario("body shorter than Content-Length", _fixed(truncated_body), TRANSIENT),
    Scenario("no answer at all", _fixed(stall), TRANSIENT, http_timeout=SHORT_HTTP_TIMEOUT),
    Scenario("body trickled a byte at a time", _fixed(trickle_body), TRANSIENT, http_timeout=SHORT_HTTP_TIMEOUT),
    Scenario("headers trickled a byte at a time", _fixed(trickle_headers), TRANSIENT,
             http_timeout=SHORT_HTTP_TIMEOUT),
    Scenario("not HTTP", _fixed(not_http), TRANSIENT),
    Scenario("500 headers", _fixed(too_many_headers), TRANSIENT),
    Scenario("401 JSON", _fixed(json_reply(401, {"error": "Unauthorized", "message": "Token is invalid"})), REFUSED),
    Scenario("404 HTML page", _fixed(html_reply(404, BODY_MARKER)),
             {"device": 1, "token": 4, "projects": 1, "project": 1, "models": 1}),
    Scenario("418 JSON", _fixed(json_reply(418, {"error": "teapot"})), ODD_STATUS),
    Scenario("escape sequences in error texts",
             _fixed(json_reply(400, {"error": "bad\x1b[31m", "error_description": ESCAPES, "message": ESCAPES})),
             ODD_STATUS),
    Scenario("slow_down forever", _fixed(json_reply(400, {"error": "slow_down"})), {"token": 1}, expires_in=900,
             says=("slow down", "clock")),
    Scenario("pending forever", _fixed(json_reply(428, {"error": "authorization_pending"})), {"token": 4},
             says=("expired",), names_host=False),
]


def cases() -> list[tuple[Scenario, Target]]:
    """Every (scenario, target) pair the catalogue defines."""
    return [(scenario, TARGETS[name]) for scenario in SCENARIOS for name in scenario.codes]


@dataclass
class Outcome:
    """How one hostile case ended."""

    scenario: str
    target: str
    run: Run
    problems: list[str]
    #: Hostile answers the CLI received (a device login polls several times).
    served: int = 0


def run_hostile(root: Path, scenario: Scenario, target: Target) -> Outcome:
    """Play ``scenario`` at ``target`` with the real CLI in a fresh world under ``root``."""
    world = World(root)
    device_code = fake_device_code()
    secret = target.secret() if target.secret else None
    with HostileServer() as server, HostileServer() as other:
        server.set(target.path, scenario.make(server, other, target))
        if target.name == "token":
            server.set("/api/oauth/device", json_reply(200, device_answer(server, device_code,
                                                                          expires_in=scenario.expires_in)))
        world.point_at(server.url)
        env = {"SKYTELLS_HTTP_TIMEOUT": scenario.http_timeout, "SKYTELLS_AI_API_URL": server.url + "/v1"}
        run = world.run(*target.args, input=secret + "\n" if secret else None, env=env, timeout=60,
                        virtual_clock=target.virtual_clock)
    problems = judge(run, scenario.codes[target.name], server.host if scenario.names_host else "", scenario.says)
    if other.seen:
        problems.append(f"{len(other.seen)} request(s) reached the other host, "
                        f"{sum('authorization' in s.headers for s in other.seen)} with an Authorization header")
    if BODY_MARKER in run.output:
        problems.append("the raw body was shown")
    found = leaks([("output", run.output)], [device_code, *([secret] if secret else [])])
    if found:
        problems.append("a secret was shown")
    if world.temporaries():
        problems.append("a temporary file was left")
    if world.credentials_path.exists():
        problems.append("credentials were saved from a hostile answer")
    return Outcome(scenario.name, target.name, run, problems, len(server.requests_to(target.path)))


def judge(run: Run, code: int, host: str, says: tuple[str, ...] = ()) -> list[str]:
    """Everything wrong with how ``run`` ended (empty when it is a clean failure)."""
    problems = clean_failure_problems(run, code, host)
    error = run.error_lines[-1] if run.error_lines else ""
    problems += [f"the error does not say {word!r}" for word in says if word not in error]
    return problems
