"""``skytells login --token``: from stdin, and typed at a hidden prompt on a real terminal."""

from __future__ import annotations

import secrets

import pytest

PROMPT = "Paste your personal access token: "


def _checks_seen(sandbox) -> int:
    return sum(1 for seen in sandbox.requests_seen if seen.path == "/api/v1/cli/projects")


def test_token_from_stdin_is_checked_and_saved(e2e):
    token = e2e.issue_token()
    result = e2e.run("login", "--token", input=f"  {token}  \n")

    assert result.code == 0, result
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert lines[-2].endswith(" Authenticated successfully!")
    assert lines[-1] == "  Credentials saved to ~/.config/skytells/credentials.json"
    assert _checks_seen(e2e.sandbox) == 1
    e2e.assert_private_file()
    data = e2e.read_credentials()
    assert data["token"] == token  # whitespace trimmed
    assert data["meta"]["token"]["method"] == "token"
    assert isinstance(data["created_at"], int) and data["created_at"] > 1_600_000_000_000


@pytest.mark.parametrize("bad", [
    "sk_pat_" + "g" * 64,                       # not hexadecimal
    "sk_pat_" + "a1" * 31 + "a",                # 63 digits
    "sk_pat_" + "b2" * 33,                      # 66 digits
    "ghp_" + "c3" * 20,                         # somebody else's token
    "sk_pat_" + "d4" * 16 + " " + "e5" * 16,    # a space in the middle
])
def test_badly_formed_token_exits_2_without_echoing_it(e2e, bad):
    for piece in (bad, *bad.split()):
        e2e.secret(piece)
    result = e2e.run("login", "--token", input=bad + "\n")

    assert result.code == 2, result
    assert result.stdout == ""
    assert "That is not a personal access token" in result.stderr
    assert "expected sk_pat_ followed by 64 hexadecimal characters" in result.stderr
    assert result.stderr.count("\n") == 1
    assert _checks_seen(e2e.sandbox) == 0
    assert not e2e.credentials_path.exists()


def test_project_key_given_as_a_token_is_refused_with_advice(e2e):
    key = e2e.issue_project_key()
    result = e2e.run("login", "--token", input=key)
    assert result.code == 2, result
    assert "That is a project access key (sk_proj_...), not a personal access token." in result.stderr
    assert "skytells link -" in result.stderr
    assert not e2e.credentials_path.exists()


def test_token_on_the_command_line_is_refused_and_not_echoed(e2e):
    token = e2e.issue_token()
    result = e2e.run("login", "--token", token)
    assert result.code == 2, result
    assert "A token is never a command-line argument" in result.stderr and token[:12] not in result.stderr
    assert _checks_seen(e2e.sandbox) == 0
    assert not e2e.credentials_path.exists()


def test_empty_stdin_exits_2_without_waiting(e2e):
    result = e2e.run("login", "--token", input="")
    assert result.code == 2, result
    assert "No personal access token on standard input." in result.stderr


@pytest.mark.parametrize("kind", ["revoked", "unknown"])
def test_refused_token_exits_4_with_the_seed_advice(e2e, kind):
    if kind == "revoked":
        token = e2e.issue_token()
        e2e.sandbox.revoke(token)
    else:
        token = e2e.secret("sk_pat_" + secrets.token_hex(32))
    original = e2e.write_credentials({"token": e2e.issue_token(), "created_at": 1700000000000})
    result = e2e.run("login", "--token", input=token)

    assert result.code == 4, result
    assert result.stdout == ""
    assert "Token is invalid" in result.stderr
    assert f"Generate a new one at {e2e.sandbox.url}/settings/tokens" in result.stderr  # the console in use
    assert "Authenticated successfully!" not in result.stderr
    assert e2e.credentials_bytes() == original


def test_token_that_cannot_be_checked_is_not_saved(e2e, e2e_closed_url):
    token = e2e.issue_token()
    result = e2e.run("login", "--token", input=token, env={"SKYTELLS_API_URL": e2e_closed_url})
    assert result.code == 1, result
    assert "Could not check the token, so it was not saved" in result.stderr
    assert "connection refused" in result.stderr
    assert not e2e.credentials_path.exists()


def test_hidden_prompt_on_a_terminal(e2e):
    token = e2e.issue_token()
    terminal = e2e.spawn("login", "--token")
    terminal.expect(PROMPT)
    terminal.sendline(token)
    terminal.expect("Authenticated successfully!")
    assert terminal.wait() == 0
    assert token not in terminal.output
    assert "sk_pat_" not in terminal.output.split(PROMPT, 1)[1]
    assert e2e.read_credentials()["token"] == token
    e2e.assert_private_file()


def test_badly_formed_token_typed_at_the_prompt_is_not_echoed(e2e):
    bad = e2e.secret("sk_pat_" + "not-hex-at-all-" * 4)
    terminal = e2e.spawn("login", "--token")
    terminal.expect(PROMPT)
    terminal.sendline(bad)
    assert terminal.wait() == 2
    assert "That is not a personal access token" in terminal.plain
    assert "not-hex" not in terminal.output
    assert not e2e.credentials_path.exists()


def test_ctrl_c_at_the_prompt_exits_130_and_writes_nothing(e2e):
    terminal = e2e.spawn("login", "--token", default_sigint=True)
    terminal.expect(PROMPT)
    terminal.sendintr()
    assert terminal.wait() == 130
    assert "Interrupted." in terminal.plain
    assert not e2e.credentials_path.exists()


class TestAlreadyLoggedIn:
    """``login`` when a token is stored already."""

    def test_answering_no_on_a_terminal_changes_nothing(self, e2e, e2e_logged_in):
        original = e2e.credentials_bytes()
        terminal = e2e.spawn("login", "--token")
        terminal.expect("You are already logged in (sk_pat_********). Replace the stored token? [y/N] ")
        terminal.sendline("n")
        assert terminal.wait() == 0
        assert "Nothing changed." in terminal.plain
        assert PROMPT not in terminal.output
        assert e2e.credentials_bytes() == original

    def test_answering_yes_on_a_terminal_replaces_the_token(self, e2e, e2e_logged_in):
        new_token = e2e.issue_token()
        terminal = e2e.spawn("login", "--token")
        terminal.expect("Replace the stored token? [y/N] ")
        terminal.sendline("y")
        terminal.expect(PROMPT)
        terminal.sendline(new_token)
        assert terminal.wait() == 0
        assert e2e.read_credentials()["token"] == new_token

    def test_force_skips_the_question(self, e2e, e2e_logged_in):
        new_token = e2e.issue_token()
        terminal = e2e.spawn("login", "--token", "--force")
        terminal.expect(PROMPT)
        terminal.sendline(new_token)
        assert terminal.wait() == 0
        assert "Replace the stored token?" not in terminal.output
        assert e2e.read_credentials()["token"] == new_token

    def test_without_a_terminal_it_never_asks(self, e2e, e2e_logged_in):
        new_token = e2e.issue_token()
        result = e2e.run("login", "--token", input=new_token, timeout=15)
        assert result.code == 0, result
        assert "Replace the stored token?" not in result.stderr
        assert e2e.read_credentials()["token"] == new_token

    def test_device_login_without_a_terminal_never_asks(self, e2e, e2e_logged_in):
        process = e2e.start("login")
        user_code = e2e.wait_for_code()
        e2e.sandbox.approve(user_code)
        result = process.finish()
        assert result.code == 0, result
        assert "Replace the stored token?" not in result.stderr
        assert e2e.read_credentials()["token"] != e2e_logged_in


@pytest.mark.parametrize("argv", [["login", "--token", "PAT"], ["login", "PAT"], ["login", "--method", "token", "PAT"],
                                  ["login", "--token", "sk_proj_" + "1" * 40]])
def test_a_token_given_as_an_argument_is_refused_with_the_safe_ways_and_never_shown(e2e, argv):
    token = "sk_pat_" + "7c" * 32
    e2e.secret(token)
    result = e2e.run(*[token if word == "PAT" else word for word in argv])
    assert result.code == 2, result
    assert result.error_lines == [
        "error: A token is never a command-line argument: it would stay in your shell history and show in the "
        "process list. Paste it at the prompt of skytells login --token, or pipe it: "
        'echo "$SKYTELLS_PAT" | skytells login --token']
    assert "sk_proj_1111" not in result.output
    assert not e2e.credentials_path.exists()
