"""Secrets echoed back: nothing a server repeats or a user types in the wrong place shows a secret.

The real CLI runs against hostile servers that repeat every credential they
receive (and every device code and token they handed out) in their error
texts, in each field an error body can carry, at every endpoint, through
every command that talks to them, in every output format, plain, with
``--debug`` and into ``--log-file``. Other runs put secrets where they do
not belong: after every option of every command, as extra arguments, as
``--flag=VALUE``, as the command itself. The secrets come in many shapes:
hypothesis draws opaque tokens of any printable ASCII, and Skytells' own
shapes. A secret counts as shown when it, or any 12-character piece of it,
appears in stdout, stderr or a log file.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import re
import secrets as random_secrets
import tempfile
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from reliability_support import (
    Behaviour,
    Exchange,
    HostileServer,
    Run,
    World,
    device_answer,
    fake_pat,
    json_reply,
    leaks,
)

from skytells.safety.redaction import PIECE_LENGTH, Redactor

#: Opaque tokens as any issuer might make them: printable ASCII without spaces, at least 8 characters
#: (but not holding the mask itself, which output shows wherever a secret was).
OPAQUE = st.text(st.characters(min_codepoint=33, max_codepoint=126), min_size=8, max_size=160).filter(
    lambda text: "********" not in text)
#: Skytells' own shapes, and near relatives.
SHAPED = st.one_of(
    st.builds(fake_pat),
    st.from_regex(r"sk_proj_[A-Za-z0-9_-]{8,64}", fullmatch=True),
    st.from_regex(r"sk_[a-z]{2,8}_[A-Za-z0-9]{12,40}[0-9][A-Za-z0-9]{0,8}", fullmatch=True),
)
SECRETS = st.one_of(OPAQUE, SHAPED)
#: Where an error body can carry text; ``details`` is never shown, the others are.
FIELDS = ("message", "error_description", "error", "details")
#: Characters put before the echo: 0, or enough to push the secret across a message's 200-character limit.
PADS = (0, 150, 190)
FORMATS = ((), ("-f", "json"), ("-f", "yaml"), ("-f", "table"), ("-f", "value"), ("-f", "shell"), ("--json",))
CHANNELS = ("plain", "debug", "log-file")
EXAMPLES = settings(max_examples=8, deadline=None, database=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                           HealthCheck.function_scoped_fixture])
OK, USAGE, AUTH = 0, 2, 4

# -- worlds and hostile servers that echo -------------------------------------------------------


@contextlib.contextmanager
def fresh_world() -> Iterator[World]:
    """A world of its own (a hypothesis example cannot share a test's fixtures)."""
    with tempfile.TemporaryDirectory() as root, World(Path(root)) as world:
        yield world


@contextlib.contextmanager
def hostile(routes: dict[str, Any] | None = None) -> Iterator[HostileServer]:
    with HostileServer(routes) as server:
        yield server


def _sent(exchange: Exchange) -> list[str]:
    """Every credential a request carried: bearer token, API key, secret JSON or form fields."""
    request = exchange.request
    found = [request.headers.get("authorization", "").partition(" ")[2], request.headers.get("x-api-key", "")]
    try:
        body = json.loads(request.body or b"{}")
    except ValueError:
        body = {}
    if isinstance(body, dict):
        found += [value for key, value in body.items()
                  if key in ("device_code", "refresh_token") and isinstance(value, str)]
    return [value for value in found if value]


def echo(field: str, status: int = 401, pad: int = 0, also: Sequence[str] = ()) -> Behaviour:
    """Answer ``status`` with a JSON error whose ``field`` repeats what the request carried (and ``also``).

    ``pad`` characters come first: a long pad pushes the secret across a message's length limit.
    """
    def behave(exchange: Exchange) -> None:
        repeated = " and ".join([*_sent(exchange), *also])
        text = "x" * pad + f"rejected {repeated}; try {repeated[:40]} again"
        body = {field: text} if field == "error" else {"error": "invalid_token", field: text}
        json_reply(status, body)(exchange)

    return behave


def channel_flags(world: World, channel: str) -> tuple[str, ...]:
    """The global options of a channel: none, ``--debug -vv``, or a ``--log-file`` the checks read."""
    if channel == "debug":
        return ("--debug", "-vv")
    if channel == "log-file":
        log = world.root / "cli.log"
        world.log_files.append(log)
        return ("--log-file", str(log), "-v")
    return ()


def stored(world: World, server: HostileServer, token: str, **fields: Any) -> None:
    """A credentials file holding ``token`` issued by ``server`` (and ``fields``)."""
    world.write_credentials({"token": token, "created_at": 1,
                             "meta": {"token": {"method": "token", "host": server.url}}, **fields})


def problems(world: World, run: Run, secrets: Sequence[str], codes: int | Sequence[int]) -> list[str]:
    """Everything wrong with ``run``: a secret shown anywhere, a traceback without --debug, another exit code."""
    expected = (codes,) if isinstance(codes, int) else tuple(codes)
    logs = [(path.name, path.read_text(errors="replace")) for path in world.log_files if path.exists()]
    found = leaks([("the output", run.output), *logs], secrets)
    if run.timed_out or run.code not in expected:
        found.append(f"exit code {run.code}, expected {expected}")
    if "Traceback" in run.output and "--debug" not in run.args:
        found.append("a traceback without --debug")
    return found


def project_key(secret: str) -> str:
    """A well-formed project access key made from ``secret`` (its allowed characters, at least 8)."""
    body = "".join(c for c in secret if c.isascii() and (c.isalnum() or c in "_-"))
    return "sk_proj_" + (body + hashlib.sha256(secret.encode()).hexdigest())[:max(len(body), 16)][:200]


def api_key(secret: str) -> str:
    """An inference API key made from ``secret`` (``api-key set`` refuses Skytells token shapes)."""
    return secret if not secret.startswith(("sk_pat_", "sk_proj_")) else "k" + secret


# -- the scenarios: one endpoint each, through the command that calls it ------------------------
# Each gets a world, a secret, the error field, the pad and the channel flags; it returns the run,
# the secrets in play and the exit codes it may end with.

Scenario = Callable[[World, str, str, int, tuple[str, ...]], tuple[Run, list[str], int | tuple[int, ...]]]


def whoami_token_check(world: World, secret: str, field: str, pad: int, flags: tuple[str, ...]) -> Any:
    """The token check (``GET /api/v1/cli/projects``) echoes the stored token; the project look-up
    fails with a 500 that echoes the project key: whoami's status and project rows."""
    key = project_key(secret[::-1])
    with hostile({"/api/v1/cli/projects": echo(field, 401, pad),
                  "/api/v1/cli/project": echo(field, 500, pad)}) as server:
        world.point_at(server.url)
        stored(world, server, secret, access_key=key)
        run = world.run(*flags, "whoami")
    return run, [secret, key], AUTH


def whoami_environment_token(world: World, secret: str, field: str, pad: int, flags: tuple[str, ...]) -> Any:
    """The same check, the token coming from ``SKYTELLS_TOKEN``."""
    with hostile({"/api/v1/cli/projects": echo(field, 401, pad)}) as server:
        world.point_at(server.url)
        run = world.run(*flags, "whoami", env={"SKYTELLS_TOKEN": secret})
    return run, [secret], AUTH


def link_refused(world: World, secret: str, field: str, pad: int, flags: tuple[str, ...]) -> Any:
    """``GET /api/v1/cli/project`` refuses the key piped to ``link -``, repeating it."""
    key = project_key(secret)
    with hostile({"/api/v1/cli/project": echo(field, 401, pad)}) as server:
        world.point_at(server.url)
        run = world.run(*flags, "link", "-", input=key + "\n")
    return run, [key], AUTH


def link_named_after_the_key(world: World, secret: str, field: str, pad: int, flags: tuple[str, ...]) -> Any:
    """A project whose name and slug are the key itself (``Linked project ...``)."""
    key = project_key(secret)
    project = {"id": "p1", "name": "x" * pad + key, "slug": key, "status": "active"}
    with hostile({"/api/v1/cli/project": json_reply(200, {"data": project})}) as server:
        world.point_at(server.url)
        run = world.run(*flags, "link", "-", input=key + "\n")
    return run, [key], OK


def api_key_set(world: World, secret: str, field: str, pad: int, flags: tuple[str, ...]) -> Any:
    """The inference API (``GET /v1/models``) refuses the key piped to ``api-key set``, repeating it."""
    key = api_key(secret)
    with hostile({"/v1/models": echo(field, 401, pad)}) as server:
        world.point_at(server.url)
        run = world.run(*flags, "api-key", "set", input=key + "\n", env={"SKYTELLS_AI_API_URL": server.url + "/v1"})
    return run, [key], AUTH


def login_token(world: World, secret: str, field: str, pad: int, flags: tuple[str, ...]) -> Any:
    """The token check refuses the personal access token piped to ``login --token``, repeating it."""
    token = "sk_pat_" + hashlib.sha256(secret.encode()).hexdigest()
    with hostile({"/api/v1/cli/projects": echo(field, 401, pad)}) as server:
        world.point_at(server.url)
        run = world.run(*flags, "login", "--token", input=token + "\n")
    return run, [token], AUTH


def device_code_echoed(world: World, secret: str, field: str, pad: int, flags: tuple[str, ...]) -> Any:
    """The device endpoint hands out ``secret`` as the device code; the token endpoint repeats it in a refusal."""
    with hostile() as server:
        server.set("/api/oauth/device", json_reply(200, device_answer(server, secret)))
        server.set("/api/oauth/token", echo(field, 400, pad))
        world.point_at(server.url)
        run = world.run(*flags, "login", "--no-browser", virtual_clock=True)
    return run, [secret], AUTH


def tokens_handed_out(world: World, secret: str, field: str, pad: int, flags: tuple[str, ...]) -> Any:
    """A device login hands out ``secret`` as the access token and another as the refresh token;
    the token check then refuses the access token, repeating both."""
    refresh = "rt-" + hashlib.sha256(secret.encode()).hexdigest()
    device_code = "dc-" + random_secrets.token_urlsafe(24)
    with hostile() as server:
        server.set("/api/oauth/device", json_reply(200, device_answer(server, device_code)))
        server.set("/api/oauth/token", json_reply(200, {"access_token": secret, "refresh_token": refresh,
                                                        "token_type": "Bearer"}))
        server.set("/api/v1/cli/projects", echo(field, 401, pad, also=[refresh]))
        world.point_at(server.url)
        login = world.run(*flags, "login", "--no-browser", virtual_clock=True)
        assert login.code == OK, login
        run = world.run(*flags, "whoami")
    return run, [secret, refresh], AUTH


SCENARIOS: dict[str, Scenario] = {scenario.__name__: scenario for scenario in (
    whoami_token_check, whoami_environment_token, link_refused, link_named_after_the_key, api_key_set,
    login_token, device_code_echoed, tokens_handed_out)}


@pytest.mark.parametrize("name", list(SCENARIOS))
@EXAMPLES
@given(secret=SECRETS, field=st.sampled_from(FIELDS), pad=st.sampled_from(PADS), channel=st.sampled_from(CHANNELS))
@example(secret="eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl", field="message", pad=190, channel="debug")
@example(secret='a"b\\c<d>&e\'f{g}h[i]j:k,l', field="error_description", pad=0, channel="log-file")
def test_a_secret_a_server_repeats_is_never_shown(name: str, secret: str, field: str, pad: int,
                                                  channel: str) -> None:
    with fresh_world() as world:
        run, in_play, codes = SCENARIOS[name](world, secret, field, pad, channel_flags(world, channel))
        assert problems(world, run, in_play, codes) == [], run


@pytest.mark.parametrize("channel", CHANNELS)
@pytest.mark.parametrize("fmt", FORMATS, ids=lambda fmt: " ".join(fmt) or "default")
def test_every_format_and_channel_masks_what_a_server_repeats(rel_world: World, rel_hostile: type[HostileServer],
                                                              fmt: tuple[str, ...], channel: str) -> None:
    token = "at." + random_secrets.token_urlsafe(40)
    key = "sk_proj_" + random_secrets.token_hex(24)
    server = rel_hostile({"/api/v1/cli/projects": echo("message", 401),
                          "/api/v1/cli/project": json_reply(200, {"data": {"name": key, "slug": token}})})
    rel_world.point_at(server.url)
    stored(rel_world, server, token, access_key=key)
    run = rel_world.run(*channel_flags(rel_world, channel), "whoami", *fmt)
    assert problems(rel_world, run, [token, key], AUTH) == [], run
    assert "invalid (HTTP 401: rejected ********" in run.stdout  # the row is there, the secret masked
    if channel == "log-file":
        assert "GET /api/v1/cli/projects" in rel_world.log_files[0].read_text()  # the log was written


# -- secrets typed in the wrong place ----------------------------------------------------------

SECRET = object()  # where the secret goes in an argument list
JOIN = "\0"  # a word ending with it is joined to the secret that follows ("--" JOIN, SECRET: "--<secret>")
Slot = tuple[Any, ...]
#: A value for each required positional argument, so that the command reaches the option under test.
FILLERS = {"link": ("-",), "auth switch": ("default",), "api": ("/x",), "models inspect": ("flux",),
           "predictions get": ("p1",), "predictions cancel": ("p1",), "predictions rm": ("p1",),
           "predictions create": ("flux", "--input", "{}")}
#: Commands left out of the sweep of valid values: they would run a server until interrupted.
SERVES = ("sandbox",)


def _parsers() -> list[tuple[str, argparse.ArgumentParser]]:
    """Every installed command's name and complete parser (formatter options included)."""
    from skytells.cli.app import SkytellsApp

    app = SkytellsApp()
    found = []
    for name, _entry in sorted(app.command_manager):
        factory, command_name, _rest = app.command_manager.find_command(name.split())
        parser = factory(app, None, cmd_name=command_name).get_parser(f"skytells {command_name}")
        getattr(parser, "add_deferred", lambda: None)()
        found.append((command_name, parser))
    return found


def _is_option(action: argparse.Action) -> bool:
    return bool(action.option_strings) and not isinstance(action, argparse._HelpAction)


def unplaced_slots() -> list[Slot]:
    """Every place where argparse itself refuses a value: extra arguments, ``--flag=VALUE``, a value that is
    not among an option's choices or not of its type, an unknown option, an unknown command."""
    from skytells.cli.app import SkytellsApp

    slots: list[Slot] = [(SECRET,), ("whoami", "--x=", SECRET), ("whoami", "--" + JOIN, SECRET),
                         ("logout", "-" + JOIN, SECRET)]
    slots += [(f"{action.option_strings[-1]}=", SECRET, "whoami") for action in SkytellsApp().parser._actions
              if _is_option(action) and action.nargs == 0]
    for name, parser in _parsers():
        words = (*name.split(), *FILLERS.get(name, ()))
        if not any(a.nargs in ("*", "+", argparse.REMAINDER) for a in parser._actions if not a.option_strings):
            slots.append((*words, SECRET))
        for action in filter(_is_option, parser._actions):
            option = action.option_strings[-1]
            if action.nargs == 0:
                slots.append((*words, f"{option}=", SECRET))
            elif action.choices is not None or action.type is not None:
                slots.append((*words, option, SECRET))
    return slots


def placed_slots() -> list[Slot]:
    """Every place a value can go: each option that takes one, each positional argument, an extra argument,
    ``--profile``. The command may accept the value, refuse it or echo it in its error."""
    slots: list[Slot] = [("--profile", SECRET, *command) for command in (("whoami",), ("login",), ("auth", "status"),
                                                                      ("auth", "token"), ("api-key", "status"))]
    for name, parser in _parsers():
        if name.split()[0] in SERVES:
            continue
        words = (*name.split(), *FILLERS.get(name, ()))
        slots.append((*words, SECRET))
        if any(not action.option_strings for action in parser._actions):
            slots.append((*name.split(), SECRET))
        for action in filter(_is_option, parser._actions):
            if action.nargs != 0 and action.dest != "name":  # complete --name is the script's name, by design
                slots.append((*words, action.option_strings[-1], SECRET))
    return slots


def _fill(slot: Slot, secret: str) -> tuple[str, ...]:
    args: list[str] = []
    for word in slot:
        if word is SECRET:
            if args and args[-1].endswith(("=", JOIN)):
                args[-1] = args[-1].removesuffix(JOIN) + secret
            else:
                args.append(secret)
        else:
            args.append(word)
    return tuple(args)


def _sweep(world: World, slots: Sequence[Slot], secrets: Sequence[str], env: dict[str, str] | None = None) -> list[Run]:
    argvs = [_fill(slot, secrets[n % len(secrets)]) for n, slot in enumerate(slots)]
    with ThreadPoolExecutor(max_workers=4) as pool:
        return list(pool.map(lambda args: world.run(*args, env=env, timeout=60), argvs))


#: Fresh secrets (never stored, never sent) of many shapes; none shaped like an option name.
FRESH = (
    lambda: random_secrets.token_urlsafe(32),
    lambda: random_secrets.token_hex(20),
    lambda: "eyJ" + random_secrets.token_urlsafe(12) + "." + random_secrets.token_urlsafe(20),
    lambda: "Zx!" + random_secrets.token_hex(8) + "#%&*+?^~|",
    lambda: "".join(random_secrets.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(20)),
    fake_pat,
    lambda: "sk_proj_" + random_secrets.token_hex(16),
)


def test_argparse_never_echoes_a_value_it_could_not_place(rel_world: World, rel_hostile: type[HostileServer]) -> None:
    rel_world.point_at(rel_hostile().url)  # nothing here may reach a server; if it did, it would be refused
    slots = unplaced_slots()
    secrets = [make() for make in FRESH for _ in range(3)]
    runs = _sweep(rel_world, slots, secrets)
    assert len(runs) >= 75
    failures = [f"{run}: {found}" for run in runs
                if (found := problems(rel_world, run, secrets, USAGE))]
    assert failures == [], "\n\n".join(failures)
    # The errors still name the option, the choices and the kind of mistake.
    errors = "".join(run.stderr for run in runs)
    masked = r"(sk_[a-z]+_)?\*{8}"  # a known prefix such as sk_pat_ may stay
    for phrase in (f"unrecognized arguments: {masked}", f"invalid choice: '{masked}'",
                   f"argument --max-width: invalid int value: '{masked}'", f"ignored explicit argument '{masked}'",
                   f"error: '{masked}' is not a skytells command"):
        assert re.search(phrase, errors), phrase


def test_a_secret_in_play_typed_anywhere_is_never_shown(rel_world: World, rel_hostile: type[HostileServer]) -> None:
    server = rel_hostile()  # every request is refused (404): whatever runs ends quickly
    rel_world.point_at(server.url)
    rel_world.env["SKYTELLS_AI_API_URL"] = server.url + "/v1"
    in_store = {
        "token": "ya29." + random_secrets.token_urlsafe(32),
        "refresh_token": "rt." + random_secrets.token_hex(24),
        "access_key": "sk_proj_" + random_secrets.token_hex(24),
        "api_key": "".join(random_secrets.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(24)),
    }
    work = {"token": "eyJhbGciOiJIUzI1NiJ9." + random_secrets.token_urlsafe(24),
            "api_key": "Zx!" + random_secrets.token_hex(8) + "#%&*+?^~|:/="}
    from_env = random_secrets.token_hex(20)
    stored(rel_world, server, in_store.pop("token"), **in_store, profiles={"work": work})
    secrets = [*rel_world.canary.secrets, from_env]
    slots = placed_slots()
    runs = _sweep(rel_world, slots, secrets, env={"SKYTELLS_API_KEY": from_env})
    assert len(runs) >= 50
    failures = [f"{run}: {found}" for run in runs
                if (found := problems(rel_world, run, secrets, (OK, 1, USAGE, AUTH)))]
    assert failures == [], "\n\n".join(failures)
    # The command quotes what it refused, masked (a known prefix such as sk_proj_ may stay).
    assert any(re.search(r"Unknown scope '(sk_[a-z]+_)?\*{8}'", run.stderr) for run in runs)


@settings(EXAMPLES, max_examples=25)
@given(secret=OPAQUE, source=st.sampled_from(("store", "environment")),
       slot=st.sampled_from([("login", "--scopes", SECRET), ("login", "--method", SECRET),
                             ("login", "--issuer", SECRET, "--client-id", "cli"), ("whoami", "-c", SECRET),
                             ("help", SECRET), ("auth", "switch", SECRET), ("--profile", SECRET, "whoami"),
                             ("whoami", SECRET), ("--debug", "login", "--scopes", SECRET)]))
@example(secret="abcdefghsecretvalue", source="store", slot=("login", "--scopes", SECRET))
@example(secret="-leading-dash-token-value", source="environment", slot=("help", SECRET))
def test_a_secret_of_any_shape_in_any_option_is_never_shown(secret: str, source: str, slot: Slot) -> None:
    with fresh_world() as world, hostile() as server:
        world.point_at(server.url)
        env = {"SKYTELLS_TOKEN": secret} if source == "environment" else None
        if source == "store":
            stored(world, server, secret)
        run = world.run(*_fill(slot, secret), env=env)
        assert problems(world, run, [secret], (OK, 1, USAGE, AUTH)) == [], run


# -- the one output meant to be a secret ------------------------------------------------------------

def test_auth_token_still_prints_the_token_itself(rel_world: World, rel_hostile: type[HostileServer]) -> None:
    server = rel_hostile()
    rel_world.point_at(server.url)
    default, work = "opaque-" + random_secrets.token_urlsafe(30), fake_pat()
    stored(rel_world, server, default, profiles={"work": {"token": work}})
    # --no-check: the hostile server's verdict is not the point here, what reaches stdout and the log is.
    for args, token in ((("auth", "token", "--no-check"), default),
                        (("--profile", "work", "auth", "token", "--no-check"), work),
                        (("--debug", "--log-file", str(rel_world.root / "t.log"), "auth", "token", "--no-check"),
                         default)):
        run = rel_world.run(*args)
        assert run.code == OK, run
        assert run.stdout == token + "\n"  # whole, unmasked, and nothing else
        assert leaks([("stderr", run.stderr)], [default, work]) == []
    assert leaks([("log", (rel_world.root / "t.log").read_text())], [default, work]) == []


# -- the redaction step itself, in process (many more variants than runs of the CLI allow) ------------

@settings(max_examples=300, deadline=None, database=None)
@given(secret=SECRETS, before=st.text(max_size=80), after=st.text(max_size=80), cut=st.integers(0, 200),
       escape=st.booleans())
def test_no_piece_of_a_registered_secret_survives(secret: str, before: str, after: str, cut: int,
                                                  escape: bool) -> None:
    redactor = Redactor()
    redactor.register(secret)
    text = before + secret + after
    text = json.dumps(text) if escape else text[:cut + len(before)]  # escaped by a formatter, or cut short
    assert leaks([("text", redactor.redact(text))], [secret.strip()], PIECE_LENGTH) == []


@settings(max_examples=200, deadline=None, database=None)
@given(text=st.text(max_size=200), short=st.text(st.characters(min_codepoint=33, max_codepoint=126), max_size=7))
def test_text_without_secrets_passes_unchanged(text: str, short: str) -> None:
    redactor = Redactor()
    redactor.register(short)  # too short to be a credential: masking it would mangle ordinary text
    redactor.register("a-registered-secret-that-is-absent")
    if "sk_" not in text:
        assert redactor.redact(text) == text


@settings(max_examples=200, deadline=None, database=None)
@given(secret=SHAPED, before=st.sampled_from(["", " ", "(", "token=", "'"]))
def test_credential_shapes_are_masked_unregistered(secret: str, before: str) -> None:
    shown = Redactor().redact(f"{before}{secret} is refused")
    assert leaks([("text", shown)], [secret]) == []
    assert shown.startswith(before + "sk_") and "********" in shown
