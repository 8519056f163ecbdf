"""The login programs drive: ``login --json`` events, ``login --request`` then ``login --check``, against the sandbox.

Both console dialects, and the standard provider mode (``--issuer``). The
fixture's canary checks every output for the token and the device code
(registered here as soon as a test learns it).
"""

from __future__ import annotations

import json
import re
import stat

import pytest

DIALECTS = ("console", "rfc8628")
ISO_UTC = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ")
PENDING_FIELDS = {"event", "user_code", "verification_uri", "verification_uri_complete", "expires_at", "interval"}
CLIENT_ID = "skytells-cli"


def _events(stdout: str) -> list[dict]:
    """Every line of stdout as one JSON object (a line that is not one fails the test)."""
    lines = stdout.splitlines()
    assert stdout.endswith("\n") and lines, stdout
    events = [json.loads(line) for line in lines]
    assert all(isinstance(event, dict) for event in events), stdout
    return events


def _assert_pending_event(event: dict, user_code: str, url: str) -> None:
    assert set(event) - {"next"} == PENDING_FIELDS, event
    assert event["event"] == "authorization_pending"
    assert event["user_code"] == user_code
    assert event["verification_uri"] == f"{url}/device"
    assert event["verification_uri_complete"] == f"{url}/device?code={user_code}"
    assert ISO_UTC.fullmatch(event["expires_at"])
    assert event["interval"] == 1


def _pending(e2e, profile: str | None = None) -> dict | None:
    """The stored pending login of ``profile``, its device code registered with the canary."""
    data = e2e.read_credentials()
    record = data if profile is None else data.get("profiles", {}).get(profile, {})
    pending = record.get("pending_login")
    if pending is None:
        return None
    assert pending["method"] == "device" and set(pending) == {"method", "expires_at", "state", "event"}
    e2e.secret(pending["state"]["device_code"])
    return pending["state"]


def _request(e2e, *extra: str) -> dict:
    result = e2e.run(*extra, "login", "--request")
    assert result.code == 0, result
    (event,) = _events(result.stdout)
    return event


@pytest.mark.parametrize("dialect", DIALECTS)
@pytest.mark.parametrize("outcome", ["approve", "deny", "expire"])
def test_json_streams_one_event_per_line_then_exactly_one_final_event(e2e, dialect, outcome):
    sandbox = e2e.start_sandbox(dialect=dialect)
    process = e2e.start("login", "--json", "--no-browser")
    user_code = e2e.wait_for_code()
    # The first event is on stdout while the login is still waiting: written and flushed as it happens.
    process.wait_for_text('"authorization_pending"', name="stdout")
    e2e.wait_for_polls(user_code, 1)
    getattr(sandbox, outcome)(user_code)
    result = process.finish()

    first, last = _events(result.stdout)
    _assert_pending_event(first, user_code, sandbox.url)
    assert "Your device code is: " + user_code in result.stderr  # the human lines stay on stderr
    if outcome == "approve":
        assert result.code == 0, result
        assert last == {"event": "authenticated", "profile": "default", "method": "device",
                        "scopes": ["inference", "projects.read", "deployments.read", "account.read"],
                        "expires_at": None}
        assert e2e.read_credentials()["token"].startswith("sk_pat_")
    else:
        assert result.code == 4, result
        reason = {"deny": "access_denied", "expire": "expired_token"}[outcome]
        assert last["event"] == "error" and last["reason"] == reason and last["exit_code"] == 4, last
        assert last["message"] and "\n" not in last["message"]
        # The final event is the run's one JSON error object too, as every command's failure is.
        assert last["error"] == {key: last[key] for key in ("reason", "message", "hint", "exit_code")}
        assert not e2e.credentials_path.exists()


def test_json_with_quiet_leaves_stderr_without_the_instructions(e2e):
    sandbox = e2e.start_sandbox()
    process = e2e.start("-q", "login", "--json", "--no-browser")
    user_code = e2e.wait_for_code()
    sandbox.approve(user_code)
    result = process.finish()
    assert result.code == 0, result
    assert [event["event"] for event in _events(result.stdout)] == ["authorization_pending", "authenticated"]
    assert user_code not in result.stderr


def test_a_network_failure_is_the_final_event(e2e, e2e_closed_url):
    e2e.point_at(e2e_closed_url)
    result = e2e.run("login", "--json")
    assert result.code == 1, result
    (event,) = _events(result.stdout)
    assert event["event"] == "error" and event["reason"] == "network" and event["exit_code"] == 1


@pytest.mark.parametrize("dialect", DIALECTS)
def test_request_returns_at_once_and_check_finishes_the_login(e2e, dialect):
    sandbox = e2e.start_sandbox(dialect=dialect)
    event = _request(e2e)
    user_code = event["user_code"]
    _assert_pending_event(event, user_code, sandbox.url)
    assert event["next"] == "skytells login --check"
    assert sandbox.device_request(user_code).polls == 0  # it did not wait for anything
    pending = _pending(e2e)
    assert pending["device_code"] == sandbox.device_request(user_code).device_code
    assert pending["user_code"] == user_code and pending["server"] == sandbox.url
    e2e.assert_private_file()

    early = e2e.run("login", "--check")
    assert early.code == 75, early
    (again,) = _events(early.stdout)
    assert again == event
    assert _pending(e2e) is not None

    sandbox.approve(user_code)
    done = e2e.run("login", "--check", "--json")
    assert done.code == 0, done
    (final,) = _events(done.stdout)
    assert final["event"] == "authenticated" and final["profile"] == "default"
    data = e2e.read_credentials()
    assert sandbox.token_scopes(data["token"]) is not None
    assert "pending_login" not in data
    assert data["meta"]["token"]["method"] == "device"


@pytest.mark.parametrize("outcome", ["deny", "expire"])
def test_check_after_denial_or_expiry_exits_4_and_forgets_the_pending_login(e2e, outcome):
    sandbox = e2e.start_sandbox()
    user_code = _request(e2e)["user_code"]
    _pending(e2e)
    getattr(sandbox, outcome)(user_code)
    result = e2e.run("login", "--check")
    assert result.code == 4, result
    assert result.stdout == ""
    assert len(result.error_lines) == 1, result
    assert "pending_login" not in e2e.credentials()
    assert "token" not in e2e.credentials()


def test_check_wait_polls_until_approved(e2e):
    sandbox = e2e.start_sandbox()
    user_code = _request(e2e)["user_code"]
    _pending(e2e)
    process = e2e.start("login", "--check", "--wait", "--json")
    e2e.wait_for_polls(user_code, 1)
    sandbox.approve(user_code)
    result = process.finish()
    assert result.code == 0, result
    assert [event["event"] for event in _events(result.stdout)] == ["authenticated"]
    assert "pending_login" not in e2e.read_credentials()


def test_two_profiles_pending_at_once(e2e):
    sandbox = e2e.start_sandbox()
    work = _request(e2e, "--profile", "work")
    home = _request(e2e, "--profile", "home")
    assert work["next"] == "skytells --profile work login --check"
    assert home["next"] == "skytells --profile home login --check"
    assert _pending(e2e, "work")["user_code"] == work["user_code"]
    assert _pending(e2e, "home")["user_code"] == home["user_code"]

    sandbox.approve(home["user_code"])
    assert e2e.run("--profile", "work", "login", "--check").code == 75
    assert e2e.run("--profile", "home", "login", "--check").code == 0
    data = e2e.read_credentials()
    assert "token" in data["profiles"]["home"] and "pending_login" not in data["profiles"]["home"]
    assert "token" not in data["profiles"]["work"] and "pending_login" in data["profiles"]["work"]
    assert e2e.run("login", "--check").code == 2  # the default profile has none


def test_a_second_request_replaces_the_first(e2e):
    e2e.start_sandbox()
    first = _request(e2e)
    _pending(e2e)
    second = _request(e2e)
    assert _pending(e2e)["user_code"] == second["user_code"] != first["user_code"]


@pytest.mark.parametrize("args", [("login", "--check"), ("login", "--check", "--wait"),
                                  ("--profile", "work", "login", "--check")])
def test_check_without_a_pending_login_is_a_usage_error(e2e, args):
    result = e2e.run(*args)
    assert result.code == 2, result
    assert result.stdout == ""
    (line,) = result.error_lines
    assert "no pending login" in line and "--request" in line


@pytest.mark.parametrize("args", [("login", "--request", "--check"), ("login", "--wait"),
                                  ("login", "--request", "--wait")])
def test_contradictory_steps_are_usage_errors(e2e, args):
    result = e2e.run(*args)
    assert result.code == 2, result
    assert len(result.error_lines) == 1, result
    assert not e2e.credentials_path.exists()


def test_the_pending_login_is_never_shown(e2e):
    """The device code stays in the store: not in any output, not in the log file, not in whoami or status."""
    sandbox = e2e.start_sandbox()
    log = e2e.root / "skytells.log"
    e2e.log_files.append(log)
    event = _request(e2e, "--debug", "--log-file", str(log))
    device_code = _pending(e2e)["device_code"]
    for args in (("whoami", "--offline"), ("auth", "status", "--offline"), ("--debug", "login", "--check")):
        e2e.run(*args)
    sandbox.approve(event["user_code"])
    e2e.run("-v", "--log-file", str(log), "login", "--check", "--json")
    assert all(device_code not in text for _label, text in e2e.output_texts())
    assert stat.S_IMODE(e2e.credentials_path.stat().st_mode) == 0o600


@pytest.mark.parametrize("oidc", [False, True])
def test_standard_provider_request_and_check(e2e, oidc):
    sandbox = e2e.start_sandbox(dialect="rfc8628", oidc=oidc)
    issuer = ("--issuer", sandbox.url, "--client-id", CLIENT_ID)
    result = e2e.run("login", "--request", *issuer)
    assert result.code == 0, result
    (event,) = _events(result.stdout)
    pending = _pending(e2e)
    assert pending["issuer"] == sandbox.url and pending["client_id"] == CLIENT_ID
    assert pending["token_endpoint"] == f"{sandbox.url}/oauth/token"
    sandbox.approve(event["user_code"])
    done = e2e.run("login", "--check", "--json")  # the pending login knows its server: no --issuer needed
    assert done.code == 0, done
    (final,) = _events(done.stdout)
    assert final["event"] == "authenticated" and ISO_UTC.fullmatch(final["expires_at"])
    data = e2e.read_credentials()
    assert data["meta"]["token"]["issuer"] == sandbox.url
    assert "pending_login" not in data


def test_device_authorization_endpoint_given_on_the_command_line(e2e):
    sandbox = e2e.start_sandbox(dialect="rfc8628", auto_approve=True)
    result = e2e.run("login", "--json", "--issuer", sandbox.url, "--client-id", CLIENT_ID,
                     "--device-authorization-endpoint", f"{sandbox.url}/oauth/device_authorization")
    assert result.code == 0, result
    assert [event["event"] for event in _events(result.stdout)] == ["authorization_pending", "authenticated"]


@pytest.mark.parametrize("url", ["http://example.com/device", "ftp://127.0.0.1/device", "https://a b/device",
                                 "https://user:pw@example.com/device"])
def test_device_authorization_endpoint_follows_the_url_rule(e2e, url):
    result = e2e.run("login", "--issuer", e2e.sandbox.url, "--client-id", CLIENT_ID,
                     "--device-authorization-endpoint", url)
    assert result.code == 2, result
    assert "--device-authorization-endpoint" in result.stderr
    assert "pw@" not in result.output


@pytest.mark.parametrize("how", [{"SKYTELLS_NONINTERACTIVE": "1"}, "--non-interactive"])
def test_a_non_interactive_login_starts_and_returns_like_request(e2e, how):
    e2e.start_sandbox()
    env, flags = (how, ()) if isinstance(how, dict) else ({}, (how,))
    result = e2e.run(*flags, "login", "--no-browser", env=env, timeout=20)
    assert result.code == 0, result
    (event,) = _events(result.stdout)
    assert event["event"] == "authorization_pending" and event["next"] == "skytells login --check"
    assert _pending(e2e) is not None and e2e.sandbox.requests_seen  # started, stored, and nobody waited
    assert e2e.run(*flags, "login", "--check", env=env).code == 75


@pytest.mark.parametrize("args", [("--client-id", "cli"), ("--client-id=cli", "--qr")])
def test_a_client_id_without_an_issuer_is_never_silently_ignored(e2e, args):
    e2e.start_sandbox()
    result = e2e.run("login", *args)
    assert result.code == 2, result
    assert result.error_lines[-1].startswith("error: --client-id works with --issuer only.")
    assert e2e.sandbox.requests_seen == [] and not e2e.credentials_path.exists()


# -- the steps belong to the login command, offered by the method ------------------------------------------------


@pytest.mark.parametrize("step", ["--request", "--check"])
def test_a_one_step_method_refuses_the_two_step_options_naming_itself(e2e, step):
    for argv in (["login", "--token", step], ["login", "--method", "token", step]):
        result = e2e.run(*argv, input="sk_pat_" + "a" * 64 + "\n")
        assert result.code == 2, result
        assert f"The 'token' login method logs in in one step: it has no {step}." in result.stderr
        assert not e2e.credentials_path.exists()


@pytest.mark.parametrize("option", [["--issuer", "https://id.example.test"], ["--client-id", "other"], ["--qr"],
                                    ["--no-browser"]])
def test_check_refuses_method_options_instead_of_ignoring_them(e2e, option):
    _request(e2e)
    before = e2e.read_credentials()
    result = e2e.run("login", "--check", *option)
    assert result.code == 2, result
    assert f"{option[0]} cannot be used with --check" in result.stderr
    assert e2e.read_credentials() == before


def test_check_refuses_an_issuer_from_the_environment_that_is_not_the_pending_logins(e2e):
    _request(e2e)
    result = e2e.run("login", "--check", env={"SKYTELLS_ISSUER": "https://id.example.test",
                                              "SKYTELLS_CLIENT_ID": "cli"})
    assert result.code == 2, result
    assert "The pending login was started at the Skytells console" in result.stderr
    assert _pending(e2e) is not None


def test_check_with_a_one_step_method_says_it_has_no_such_step(e2e):
    _request(e2e)
    result = e2e.run("login", "--method", "command", "--check")
    assert result.code == 2, result
    assert "The 'command' login method logs in in one step: it has no --check." in result.stderr
    assert _pending(e2e) is not None


def test_a_profile_named_like_an_option_gets_a_next_command_that_works(e2e):
    sandbox = e2e.start_sandbox()
    event = _request(e2e, "--profile=-x")
    assert event["next"] == "skytells --profile=-x login --check"
    sandbox.approve(event["user_code"])
    done = e2e.run(*event["next"].split()[1:])
    assert done.code == 0, done
    assert "token" in e2e.read_credentials()["profiles"]["-x"]

