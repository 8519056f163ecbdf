"""How every command reports a change of the stored credentials: -q, the profile, and the warnings that apply.

One report serves login, link, api-key set (``Context.report_change``) and
the same rules hold for api-key rm and logout:

- ``-q`` silences progress, success and detail lines; instructions (the
  device code), warnings and errors still print;
- with a profile chosen, where the credentials went names the profile;
- credentials kept inside a git work tree are warned about when saved.
"""

from __future__ import annotations

import pytest

LOCATION = "~/.config/skytells/credentials.json"


def _changes(e2e):
    """Each command that saves or removes a credential: (argv, stdin, field) in an order that works."""
    token, key, api_key = e2e.issue_token(), e2e.issue_project_key(), e2e.secret(e2e.sandbox.issue_api_key())
    return [
        (("login", "--token"), token + "\n"),
        (("link", "-"), key + "\n"),
        (("api-key", "set"), api_key + "\n"),
        (("api-key", "rm"), None),
        (("logout", "--force"), None),
    ]


def test_quiet_silences_every_success_and_progress_line(e2e):
    for argv, stdin in _changes(e2e):
        result = e2e.run("-q", *argv, input=stdin)
        assert (result.code, result.stderr, result.stdout) == (0, "", ""), result
    assert "token" not in e2e.read_credentials() and "access_key" in e2e.read_credentials()


def test_without_quiet_the_same_commands_say_what_they_did(e2e):
    for argv, stdin in _changes(e2e):
        result = e2e.run(*argv, input=stdin)
        assert result.code == 0, result
        assert LOCATION in result.stderr, result


def test_quiet_still_shows_warnings_and_errors(e2e):
    missing = e2e.run("-q", "whoami")
    assert missing.code == 4 and missing.error_lines == ["error: You are not logged in. Run skytells login "
                                                         "(or set SKYTELLS_TOKEN)."], missing
    token = e2e.issue_token()
    overridden = e2e.run("-q", "login", "--token", input=token + "\n", env={"SKYTELLS_TOKEN": e2e.issue_token()})
    assert overridden.code == 0
    assert overridden.stderr.splitlines() == [
        "! SKYTELLS_TOKEN is set in this environment and takes precedence over the stored token."], overridden


@pytest.mark.skytells_sandbox(auto_approve=True, interval=0)
def test_quiet_device_login_still_shows_the_code_to_enter(e2e):
    e2e.start_sandbox(auto_approve=True, interval=0)
    result = e2e.run("-q", "login", "--no-browser")
    assert result.code == 0, result
    assert "Your device code is:" in result.stderr and "/device" in result.stderr
    for progress in ("Initiating device authorization", "Waiting for authorization", "Authenticated successfully",
                     "Credentials saved"):
        assert progress not in result.stderr, result.stderr


@pytest.mark.parametrize("profile", ["work", "ci.runner-2"])
def test_every_report_names_the_profile_in_use(e2e, profile):
    where = f"{LOCATION} (profile {profile})"
    for argv, stdin in _changes(e2e):
        result = e2e.run("--profile", profile, *argv, input=stdin)
        assert result.code == 0, result
        assert where in result.stderr, result
    again = e2e.run("--profile", profile, "logout")
    assert f"no stored token in {where}" in again.stderr
    missing = e2e.run("--profile", profile, "whoami")
    assert missing.code == 4
    assert missing.error_lines == [f"error: You are not logged in (profile {profile!r}). "
                                   f"Run skytells --profile {profile} login (or set SKYTELLS_TOKEN)."]
    from_env = e2e.run("whoami", "--offline", env={"SKYTELLS_PROFILE": profile})
    assert from_env.error_lines == missing.error_lines


@pytest.mark.parametrize("repository", ["home", "config"])
def test_saving_inside_a_git_work_tree_warns_every_time(e2e, repository):
    root = e2e.root / "home" if repository == "home" else e2e.config_dir
    (root / ".git").mkdir(parents=True)
    warning = f"! The credentials are kept inside the git work tree {root}"
    for argv, stdin in _changes(e2e)[:3]:  # the commands that save a secret
        result = e2e.run(*argv, input=stdin)
        assert result.code == 0, result
        assert any(line.startswith(warning) for line in result.stderr.splitlines()), result
        quiet = e2e.run("-q", *argv, input=stdin)  # a second time: the warning is not a once-only hint
        assert quiet.code == 0 and [line for line in quiet.stderr.splitlines() if not line.startswith(warning)] == []


def test_no_git_warning_outside_a_work_tree(e2e):
    for argv, stdin in _changes(e2e)[:3]:
        result = e2e.run(*argv, input=stdin)
        assert result.code == 0 and "git work tree" not in result.stderr, result
