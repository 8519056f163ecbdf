"""``skytells link`` and ``skytells logout``: one credential changes, the others stay."""

from __future__ import annotations

import secrets

import pytest

API_KEY = "sk_live_" + "5f" * 20


class TestLink:
    """Linking a project access key."""

    def test_key_as_argument_is_checked_saved_and_shown(self, e2e, e2e_logged_in):
        key = e2e.issue_project_key("Demo Project")
        result = e2e.run("link", key)
        assert result.code == 0, result
        assert result.stdout == ""
        assert "Linked project Demo Project (demo-project)" in result.stderr
        assert "  Key saved to ~/.config/skytells/credentials.json" in result.stderr
        assert "skytells link -" in result.stderr  # the tip about shell history
        data = e2e.read_credentials()
        assert data["access_key"] == key
        assert data["token"] == e2e_logged_in
        assert data["meta"]["access_key"]["project"]["name"] == "Demo Project"
        e2e.assert_private_file()

    def test_key_from_stdin(self, e2e, e2e_logged_in):
        key = e2e.issue_project_key("Support Bot")
        result = e2e.run("link", "-", input=f"  {key}\n")
        assert result.code == 0, result
        assert "Linked project Support Bot (support-bot)" in result.stderr
        assert "Tip:" not in result.stderr
        assert e2e.read_credentials()["access_key"] == key
        whoami = e2e.run("whoami", "-f", "value", "-c", "project")
        assert whoami.stdout == "Support Bot (support-bot)\n"

    def test_key_typed_at_a_hidden_prompt(self, e2e):
        key = e2e.issue_project_key("Typed Project")
        terminal = e2e.spawn("link", "-")
        terminal.expect("Paste your project access key: ")
        terminal.sendline(key)
        assert terminal.wait() == 0
        assert "Linked project Typed Project (typed-project)" in terminal.plain
        assert e2e.read_credentials()["access_key"] == key

    def test_link_works_before_login(self, e2e):
        key = e2e.issue_project_key()
        assert e2e.run("link", key).code == 0
        assert "token" not in e2e.read_credentials()

    @pytest.mark.parametrize("kind", ["revoked", "unknown"])
    def test_refused_key_is_not_stored_and_the_token_is_kept(self, e2e, e2e_logged_in, kind):
        first = e2e.issue_project_key("First")
        assert e2e.run("link", first).code == 0
        original = e2e.credentials_bytes()
        if kind == "revoked":
            refused = e2e.issue_project_key("Second")
            e2e.sandbox.revoke(refused)
        else:
            refused = e2e.secret("sk_proj_" + secrets.token_hex(24))
        result = e2e.run("link", "-", input=refused)

        assert result.code == 4, result
        assert "The project access key was refused" in result.stderr
        assert "Linked project" not in result.stderr
        assert e2e.credentials_bytes() == original
        assert e2e.read_credentials()["token"] == e2e_logged_in

    @pytest.mark.parametrize("bad", ["sk_proj_short", "proj_" + "ab" * 24, "sk_pat_" + "cd" * 32])
    def test_bad_format_exits_2_and_sends_nothing(self, e2e, e2e_logged_in, bad):
        e2e.secret(bad)
        e2e.sandbox.clear_requests()
        original = e2e.credentials_bytes()
        result = e2e.run("link", "-", input=bad)
        assert result.code == 2, result
        assert "That is not a project access key" in result.stderr
        assert result.stderr.count("\n") == 1
        assert e2e.sandbox.requests_seen == []
        assert e2e.credentials_bytes() == original

    def test_empty_stdin_exits_2_without_waiting(self, e2e):
        result = e2e.run("link", "-", input="\n")
        assert result.code == 2, result
        assert "No project access key on standard input." in result.stderr
        assert not e2e.credentials_path.exists()

    def test_unreachable_server_stores_nothing(self, e2e, e2e_logged_in, e2e_closed_url):
        key = e2e.issue_project_key()
        original = e2e.credentials_bytes()
        result = e2e.run("link", key, env={"SKYTELLS_API_URL": e2e_closed_url})
        assert result.code == 1, result
        assert "connection refused" in result.stderr
        assert e2e.credentials_bytes() == original


class TestLogout:
    """Removing the user token and keeping everything else."""

    @pytest.fixture
    def e2e_full_file(self, e2e, e2e_logged_in):
        """A file holding a token, a linked project key and an API key written by another tool."""
        key = e2e.issue_project_key()
        assert e2e.run("link", key).code == 0
        data = e2e.read_credentials()
        data["api_key"] = e2e.secret(API_KEY)
        e2e.write_credentials(data)
        return data

    @pytest.mark.parametrize("flag", ["--force", "-f"])
    def test_force_removes_only_the_user_token(self, e2e, e2e_full_file, flag):
        result = e2e.run("logout", flag)
        assert result.code == 0, result
        assert result.stdout == ""
        assert "Logged out: the token was removed from ~/.config/skytells/credentials.json." in result.stderr
        assert f"you revoke it at {e2e.sandbox.url}/settings/tokens" in result.stderr  # its own console
        data = e2e.read_credentials()
        assert "token" not in data
        assert "token" not in data.get("meta", {})
        assert data["access_key"] == e2e_full_file["access_key"]
        assert data["api_key"] == API_KEY
        assert data["created_at"] == e2e_full_file["created_at"]
        assert data["meta"]["access_key"] == e2e_full_file["meta"]["access_key"]
        e2e.assert_private_file()
        assert e2e.run("whoami").code == 4

    def test_terminal_asks_and_no_keeps_the_token(self, e2e, e2e_full_file):
        original = e2e.credentials_bytes()
        terminal = e2e.spawn("logout")
        terminal.expect("Log out and remove the stored token (sk_pat_********)? [y/N] ")
        terminal.sendline("n")
        assert terminal.wait() == 0
        assert "Nothing changed." in terminal.plain
        assert e2e.credentials_bytes() == original

    def test_terminal_asks_and_yes_logs_out(self, e2e, e2e_full_file):
        terminal = e2e.spawn("logout")
        terminal.expect("[y/N] ")
        terminal.sendline("y")
        assert terminal.wait() == 0
        assert "Logged out" in terminal.plain
        data = e2e.read_credentials()
        assert "token" not in data and data["api_key"] == API_KEY

    def test_ctrl_c_at_the_question_exits_130_and_keeps_the_token(self, e2e, e2e_full_file):
        original = e2e.credentials_bytes()
        terminal = e2e.spawn("logout", default_sigint=True)
        terminal.expect("[y/N] ")
        terminal.sendintr()
        assert terminal.wait() == 130
        assert e2e.credentials_bytes() == original

    def test_without_a_terminal_or_force_exits_2_and_changes_nothing(self, e2e, e2e_full_file):
        original = e2e.credentials_bytes()
        result = e2e.run("logout", timeout=15)
        assert result.code == 2, result
        assert result.stderr.count("\n") == 1
        assert "cannot ask without a terminal" in result.stderr
        assert "Pass --force" in result.stderr
        assert e2e.credentials_bytes() == original

    def test_says_that_the_environment_token_still_applies(self, e2e, e2e_full_file):
        from_env = e2e.issue_token()
        result = e2e.run("logout", "--force", env={"SKYTELLS_TOKEN": from_env})
        assert result.code == 0, result
        assert "SKYTELLS_TOKEN is set in this environment and still applies." in result.stderr
        assert "token" not in e2e.read_credentials()

    def test_not_logged_in_is_not_an_error(self, e2e):
        result = e2e.run("logout")
        assert result.code == 0, result
        assert "Not logged in: there is no stored token in ~/.config/skytells/credentials.json." in result.stderr
        assert not e2e.credentials_path.exists()
