"""One error, one line, the right code; every hint names the profile in use and is a command that works.

- A ``--log-file`` that cannot be written is a usage error (exit 2, one line,
  a hint), not a raw ``[Errno 2]`` with exit 1.
- A bad ``-c`` column is the one error, checked before anything else is said.
- A profile that does not exist gets one error, whether named by ``--profile``
  or by ``auth switch``: exit 4, the profiles that exist, how to create it.
- Logout without a terminal says what was not done, not the question again,
  and its hint is the full command for the profile in use.
- Hints are written by ``skytells.credentials.hints.command_for``: run as
  typed, they work, even for a profile named like an option (``-x``).
"""

from __future__ import annotations

import shlex

import pytest

from skytells.credentials.hints import command_for


def _hinted_command(line: str) -> list[str]:
    """The ``skytells ...`` command a hint line names (up to the next '(' or the end of its sentence)."""
    start = line.index("skytells ")
    text = line[start:].split(" (", 1)[0].split(" to ", 1)[0].rstrip(".")
    words = shlex.split(text)
    assert words[0] == "skytells"
    return words[1:]


@pytest.mark.parametrize("log_file", ["{root}/missing/dir/skytells.log", "{root}", "/proc/self/nope/x.log"])
@pytest.mark.parametrize("command", [("whoami",), ("auth", "status", "--offline"), ("help",)])
def test_a_log_file_that_cannot_be_written_is_a_usage_error(e2e, log_file, command):
    path = log_file.format(root=e2e.root)

    result = e2e.run("--log-file", path, *command)
    as_json = e2e.run("--log-file", path, *command, "-f", "json") if command[0] != "help" else None

    assert result.code == 2, str(result)
    assert result.stdout == ""
    assert result.error_lines == [result.stderr.strip()], str(result)
    assert result.error_lines[0].startswith(f"error: Cannot write the log file {path}: ")
    assert "Give --log-file a file in a directory that exists" in result.error_lines[0]
    assert "Errno" not in result.stderr
    if as_json is not None:
        assert as_json.code == 2 and as_json.json()["error"]["reason"] == "usage", str(as_json)


@pytest.mark.parametrize("stored", ["nothing", "keys only", "logged in"])
@pytest.mark.parametrize("command", [("whoami",), ("whoami", "--offline"), ("auth", "status"), ("api-key", "status")])
def test_a_bad_column_is_the_one_error(e2e, stored, command):
    if stored != "nothing":
        key = e2e.secret(e2e.sandbox.issue_api_key())
        assert e2e.run("api-key", "set", input=key + "\n").code == 0
    if stored == "logged in":
        assert e2e.run("login", "--token", input=e2e.issue_token() + "\n").code == 0

    result = e2e.run(*command, "-c", "nope")

    assert result.code == 2, str(result)
    assert result.stdout == ""
    assert len(result.error_lines) == 1 and "Unknown column 'nope' for -c" in result.error_lines[0], str(result)
    assert result.stderr.count("error:") == 1


@pytest.mark.parametrize("existing", [(), ("work",), ("work", "home")])
def test_a_missing_profile_gets_one_error_by_any_road(e2e, existing):
    for name in existing:
        assert e2e.run("--profile", name, "login", "--token", input=e2e.issue_token() + "\n").code == 0

    switched = e2e.run("auth", "switch", "nope")
    chosen = e2e.run("--profile", "nope", "whoami")

    assert switched.code == chosen.code == 4, (str(switched), str(chosen))
    assert switched.error_lines == chosen.error_lines, (str(switched), str(chosen))
    (line,) = switched.error_lines
    assert line.startswith("error: There is no profile 'nope' (")
    for name in existing:
        assert name in line
    assert line.endswith("Run skytells --profile nope login to create it.")
    assert e2e.run("--profile", "nope", "whoami", "--json").json()["error"]["reason"] == "not_logged_in"


@pytest.mark.parametrize("profile", [None, "work", "-x"])
@pytest.mark.parametrize("how", ["no terminal", "--non-interactive"])
def test_logout_without_a_terminal_says_what_was_not_done_and_the_command_that_does(e2e, profile, how):
    chosen = () if profile is None else (f"--profile={profile}",)
    assert e2e.run(*chosen, "login", "--token", input=e2e.issue_token() + "\n").code == 0
    before = e2e.credentials_bytes()
    flags = ("--non-interactive",) if how == "--non-interactive" else ()

    result = e2e.run(*flags, *chosen, "logout")

    assert result.code == 2, str(result)
    (line,) = result.error_lines
    of_profile = f" of profile {profile!r}" if profile else ""
    assert line.startswith(f"error: Not logged out{of_profile}: removing the token needs a yes ("), line
    assert "Log out and remove" not in line and "?" not in line
    assert line.endswith(f"Pass --force to go ahead without the question: {command_for(profile, 'logout', '--force')}.")
    assert e2e.credentials_bytes() == before
    done = e2e.run(*_hinted_command(line.split("question: ", 1)[1]))
    assert done.code == 0 and "Logged out" in done.stderr, str(done)


def test_every_hint_for_a_profile_named_like_an_option_works_as_typed(e2e):
    e2e.run("--profile=other", "login", "--token", input=e2e.issue_token() + "\n")

    missing = e2e.run("--profile=-x", "whoami")  # no such profile yet: the hint creates it
    assert missing.code == 4, str(missing)
    assert "skytells --profile=-x login" in missing.stderr
    login = _hinted_command(missing.error_lines[0].split("Run ", 1)[1])
    assert login == ["--profile=-x", "login"]
    assert e2e.run(*login, "--token", input=e2e.issue_token() + "\n").code == 0

    no_key = e2e.run("--profile=-x", "api-key", "status")
    assert no_key.code == 4 and "Run skytells --profile=-x api-key set" in no_key.stderr, str(no_key)
    key = e2e.secret(e2e.sandbox.issue_api_key())
    set_key = e2e.run(*_hinted_command(no_key.error_lines[0].split("Run ", 1)[1]), input=key + "\n")
    assert set_key.code == 0, str(set_key)
    assert e2e.run("--profile=-x", "api-key", "status").code == 0

    pat_as_key = e2e.run("--profile=-x", "link", "sk_pat_" + "ab" * 32)
    assert pat_as_key.code == 2 and "use skytells --profile=-x login --token" in pat_as_key.stderr, str(pat_as_key)


@pytest.mark.parametrize(("profile", "words", "expected"), [
    (None, ("login",), "skytells login"),
    ("work", ("login",), "skytells --profile work login"),
    ("-x", ("logout", "--force"), "skytells --profile=-x logout --force"),
    ("ci.runner-2", ("api-key", "set"), "skytells --profile ci.runner-2 api-key set"),
    ("a b", ("link", "-"), "skytells --profile 'a b' link -"),
])
def test_command_for_writes_a_command_a_shell_runs_as_meant(profile, words, expected):
    written = command_for(profile, *words)
    assert written == expected
    assert shlex.split(written)[-len(words):] == list(words)


@pytest.mark.parametrize("name", ["a b", "x" * 65, "sk_pat_" + "cd" * 32])
def test_auth_switch_to_a_name_no_profile_can_have_is_a_usage_error_as_for_profile(e2e, e2e_logged_in, name):
    switched = e2e.run("auth", "switch", name)
    chosen = e2e.run("--profile", name, "whoami")

    assert switched.code == chosen.code == 2, (str(switched), str(chosen))
    assert len(switched.error_lines) == 1 and "login to create it" not in switched.stderr, str(switched)
    assert "cd" * 8 not in switched.stderr
