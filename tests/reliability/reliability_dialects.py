"""The two dialects of the device grant, served by a HostileServer, and checks shared by the value tests.

- ``console``: the Skytells console's own (``/api/oauth/device`` and ``/api/oauth/token``, JSON bodies);
- ``standard``: a standard authorization server found through RFC 8414 metadata (``login --issuer``).

A token answer is written as JSON text member by member, so that ``NaN``,
``1e400`` or a 400-digit integer reach the CLI exactly as a server would send them.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from reliability_support import (
    UNSAFE_OUTPUT,
    Behaviour,
    HostileServer,
    Run,
    World,
    device_answer,
    fake_device_code,
    json_reply,
    reply,
)

CLIENT_ID = "skytells-cli"
ACCESS_TOKEN = "at_" + "5" * 40
REFRESH_TOKEN = "rt_" + "6" * 40
#: Every output format of the display commands: whoami (one object) and auth status (a list).
SHOW_FORMATS = ("table", "value", "shell", "json", "yaml")
LIST_FORMATS = ("table", "value", "csv", "json", "yaml")


def metadata(server: HostileServer, **overrides: Any) -> dict[str, Any]:
    """RFC 8414 metadata naming ``server`` as the issuer, every endpoint on it."""
    document: dict[str, Any] = {
        "issuer": server.url,
        "device_authorization_endpoint": f"{server.url}/oauth/device_authorization",
        "token_endpoint": f"{server.url}/oauth/token",
        "scopes_supported": ["openid", "offline_access", "inference"],
    }
    document.update(overrides)
    return document


def token_answer(**members: str) -> Behaviour:
    """A 200 token answer whose members are given as JSON text; ``access_token`` defaults to a good one."""
    members = {"access_token": json.dumps(ACCESS_TOKEN), **members}
    return reply(200, "{" + ", ".join(f"{json.dumps(name)}: {text}" for name, text in members.items()) + "}")


@dataclass(frozen=True)
class Dialect:
    """Where one dialect's endpoints live and how ``skytells login`` is pointed at them."""

    name: str
    device_path: str
    token_path: str
    standard: bool

    def serve(self, server: HostileServer, token: Behaviour | Sequence[Behaviour], **metadata_overrides: Any) -> None:
        """Answer the device request well and the token request with ``token``."""
        if self.standard:
            server.set("/.well-known/oauth-authorization-server", json_reply(200, metadata(server,
                                                                                           **metadata_overrides)))
        server.set(self.device_path, json_reply(200, device_answer(server, fake_device_code())))
        server.set(self.token_path, token)

    def login_args(self, server: HostileServer) -> tuple[str, ...]:
        """``login`` for this dialect, without a browser."""
        issuer = ("--issuer", server.url, "--client-id", CLIENT_ID) if self.standard else ()
        return ("login", "--no-browser", *issuer)

    def login(self, world: World, server: HostileServer) -> Run:
        """Point ``world`` at ``server`` and log in (under a virtual clock: no real waiting)."""
        world.point_at(server.url)
        return world.run(*self.login_args(server), virtual_clock=True)


CONSOLE = Dialect("console", "/api/oauth/device", "/api/oauth/token", standard=False)
STANDARD = Dialect("standard", "/oauth/device_authorization", "/oauth/token", standard=True)
DIALECTS = (CONSOLE, STANDARD)


def problems(run: Run, codes: int | Sequence[int]) -> list[str]:
    """What is wrong with a run that should end with one of ``codes``, cleanly, whatever it printed."""
    expected = (codes,) if isinstance(codes, int) else tuple(codes)
    found = []
    if run.timed_out:
        return ["hang: the command did not finish"]
    if run.code not in expected:
        found.append(f"exit code {run.code}, expected {expected}")
    if "Traceback" in run.output:
        found.append("traceback")
    if UNSAFE_OUTPUT.search(run.output):
        found.append("a terminal control character reached the output")
    return found


def refusal_problems(run: Run, code: int, *named: str) -> list[str]:
    """What is wrong with a refusal: ``problems`` plus exactly one ``error:`` line, last, naming each of ``named``."""
    found = problems(run, code)
    errors = run.error_lines
    lines = [line for line in run.stderr.splitlines() if line.strip()]
    if len(errors) != 1 or not lines or not lines[-1].startswith("error:"):
        found.append(f"{len(errors)} error lines (expected one, last)")
    found += [f"the error does not name {name!r}" for name in named if name not in (errors[-1] if errors else "")]
    return found


def display_runs(world: World, *, offline: bool = True, **options: Any) -> list[Run]:
    """``whoami`` and ``auth status`` in every output format (``--offline`` unless told)."""
    flag = ("--offline",) if offline else ()
    return ([world.run("whoami", *flag, "-f", fmt, **options) for fmt in SHOW_FORMATS]
            + [world.run("auth", "status", *flag, "-f", fmt, **options) for fmt in LIST_FORMATS])


def each_case(root: Path, cases: Sequence[Any], check: Callable[[World, Any], list[str]], workers: int = 4) -> None:
    """Run ``check(world, case)`` for every case, a few at a time, each in a fresh world under ``root``.

    ``check`` returns what is wrong (empty when nothing is); the test fails
    once, listing every case that went wrong.
    """

    def one(numbered: tuple[int, Any]) -> str:
        number, case = numbered
        with World(root / str(number)) as world:
            found = check(world, case)
        return f"{case!r}: " + "; ".join(found) if found else ""

    with ThreadPoolExecutor(max_workers=workers) as pool:
        failures = [failure for failure in pool.map(one, enumerate(cases)) if failure]
    if failures:
        pytest.fail(f"{len(failures)} of {len(cases)} cases went wrong:\n" + "\n".join(failures), pytrace=False)


def report(run: Run, found: list[str]) -> list[str]:
    """``found`` with the run appended for the failure report; empty when nothing was found."""
    return [*found, str(run)] if found else []
