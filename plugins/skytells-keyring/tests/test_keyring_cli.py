"""The real ``skytells`` executable with the keyring store, against a sandbox."""

from __future__ import annotations

import json

import pytest
from keyring_test_backend import keyring_environment


@pytest.fixture
def keyring_cli(skytells_cli, skytells_sandbox, tmp_path):
    """The CLI pointed at the sandbox, with the file-backed test keyring selected for it."""
    skytells_cli.env.update(keyring_environment(tmp_path / "test-keyring.json"),
                            SKYTELLS_API_URL=skytells_sandbox.url)
    skytells_cli.keyring_file = tmp_path / "test-keyring.json"
    return skytells_cli


def keyring_entries(cli):
    return json.loads(cli.keyring_file.read_text()) if cli.keyring_file.exists() else {}


def test_login_keeps_the_token_in_the_keyring_only(keyring_cli, skytells_sandbox):
    token = skytells_sandbox.issue_token()
    keyring_cli.env["SKYTELLS_CREDENTIAL_STORE"] = "keyring"

    login = keyring_cli.run("login", "--token", input=token + "\n")
    whoami = keyring_cli.run("whoami", "-f", "json")

    assert login.exit_code == 0, login
    assert "FileKeyring" in login.stderr  # "Credentials saved to <the keyring> (details in ...)"
    assert whoami.exit_code == 0, whoami
    assert json.loads(whoami.stdout)["token_status"].startswith("valid")
    text = (keyring_cli.config_dir / "credentials.json").read_text()
    assert token not in text and json.loads(text)["meta"]["token"]["method"] == "token"
    assert token in json.dumps(keyring_entries(keyring_cli))
    assert token not in login.output + whoami.output


def test_config_json_chooses_the_store_and_logout_deletes_the_entry(keyring_cli, skytells_sandbox):
    token = skytells_sandbox.issue_token()
    keyring_cli.write_config({"credential_store": "keyring"})

    login = keyring_cli.run("login", "--token", input=token + "\n")
    assert login.exit_code == 0, login
    assert token in json.dumps(keyring_entries(keyring_cli))

    logout = keyring_cli.run("logout", "--force")

    assert logout.exit_code == 0, logout
    assert token not in json.dumps(keyring_entries(keyring_cli))
    assert keyring_cli.run("whoami").exit_code == 4


def test_link_keeps_the_project_key_in_the_keyring(keyring_cli, skytells_sandbox):
    key = skytells_sandbox.issue_project_key("Keyring Project")
    keyring_cli.env["SKYTELLS_CREDENTIAL_STORE"] = "keyring"

    link = keyring_cli.run("link", "-", input=key + "\n")

    assert link.exit_code == 0, link
    assert key not in (keyring_cli.config_dir / "credentials.json").read_text()
    assert key in json.dumps(keyring_entries(keyring_cli))


@pytest.mark.parametrize("backend", ["keyring.backends.fail.Keyring", "keyring.backends.null.Keyring"])
def test_without_a_usable_keyring_login_fails_closed(keyring_cli, skytells_sandbox, backend):
    token = skytells_sandbox.issue_token()
    keyring_cli.env.update(SKYTELLS_CREDENTIAL_STORE="keyring", PYTHON_KEYRING_BACKEND=backend)

    login = keyring_cli.run("login", "--token", input=token + "\n")

    assert login.exit_code == 1, login
    error = login.stderr.strip().splitlines()[-1]
    assert error.startswith("error: The credential store 'keyring' (chosen by SKYTELLS_CREDENTIAL_STORE) "
                            "cannot be used here: no usable keyring backend")
    assert "SKYTELLS_CREDENTIAL_STORE=file" in error
    assert "Traceback" not in login.stderr
    assert not (keyring_cli.config_dir / "credentials.json").exists()
    assert token not in login.output


def test_plugins_lists_the_store_and_its_state(keyring_cli):
    usable = keyring_cli.run("plugins", "--group", "credential-stores", "-f", "json")
    keyring_cli.env["PYTHON_KEYRING_BACKEND"] = "keyring.backends.fail.Keyring"
    unusable = keyring_cli.run("plugins", "--group", "credential-stores", "-f", "json")

    rows = {row["Name"]: row for row in usable.json()}
    assert rows["keyring"]["Distribution"] == "skytells-keyring"
    assert rows["keyring"]["State"] == "loaded"
    state = {row["Name"]: row for row in unusable.json()}["keyring"]["State"]
    assert state.startswith("unavailable: no usable keyring backend")


def test_doctor_checks_the_keyring_store_and_not_the_file_store(keyring_cli, skytells_sandbox):
    token = skytells_sandbox.issue_token()
    keyring_cli.env["SKYTELLS_CREDENTIAL_STORE"] = "keyring"
    assert keyring_cli.run("login", "--token", input=token + "\n").exit_code == 0

    report = keyring_cli.run("auth", "doctor", "--offline", "-f", "json")

    assert report.exit_code == 0, report
    findings = {row["check"]: row for row in json.loads(report.stdout)}
    assert findings["credential store"]["detail"] == "keyring"
    assert "FileKeyring" in findings["store location"]["detail"]
    assert findings["credentials content"] == {"check": "credentials content", "status": "ok", "detail": "holds token"}
    assert not {check for check in findings if check.startswith(("credentials file", "lock file"))}
    assert token not in report.output


@pytest.mark.skytells_sandbox(auto_approve=True, interval=0, dpop=True)
def test_a_dpop_bound_login_keeps_the_private_key_in_the_keyring_and_logout_deletes_it(
        keyring_cli, skytells_sandbox):
    keyring_cli.env["SKYTELLS_CREDENTIAL_STORE"] = "keyring"

    login = keyring_cli.run("login", "--issuer", skytells_sandbox.url, "--client-id", "skytells-cli",
                            "--no-browser")

    assert login.exit_code == 0, login
    keys = [value for name, value in _flat(keyring_entries(keyring_cli)) if name == "default/dpop_key"]
    key = keys[0] if keys else None
    assert key is not None and key.startswith("dpop-es256:"), "the private key is a keyring entry"
    text = (keyring_cli.config_dir / "credentials.json").read_text()
    assert key not in text and json.loads(text)["meta"]["token"]["token_type"] == "DPoP"
    assert key not in login.output

    logout = keyring_cli.run("logout", "--force")

    assert logout.exit_code == 0, logout
    assert key not in json.dumps(keyring_entries(keyring_cli))


def _flat(entries):
    """(user name, password) pairs of the test keyring's file, whatever its nesting by service."""
    found = []
    todo = [entries]
    while todo:
        node = todo.pop()
        if isinstance(node, dict):
            for name, value in node.items():
                if isinstance(value, str):
                    found.append((name, value))
                else:
                    todo.append(value)
    return found
