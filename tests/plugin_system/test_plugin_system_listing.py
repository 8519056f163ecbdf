"""``skytells plugins``: every installed plugin by group, with its distribution, version and state."""

from __future__ import annotations

EXPECTED_STATES = {
    ("commands", "hello"): ("skytells-hello", "loaded"),
    ("commands", "broken-cmd"): ("skytells-broken-command", "failed: ModuleNotFoundError: No module named 'sk_gone'"),
    ("commands", "login"): ("skytells-cli", "loaded"),
    ("commands", "sandbox demo"): ("skytells-sandbox", "loaded"),
    ("authenticators", "env-token"): ("skytells-env-auth", "loaded"),
    ("authenticators", "broken-import"): (
        "skytells-broken-import", "failed: ModuleNotFoundError: No module named 'sk_missing_dependency_xyz'"),
    ("authenticators", "wrong-class"): (
        "skytells-wrong-class",
        "failed: it names NotAnAuthenticator, which is not a skytells.login.interface.MethodLoader subclass"),
    ("authenticators", "raises"): ("skytells-raises", "failed: RuntimeError: plugin exploded while loading"),
    ("authenticators", "device"): ("skytells-cli", "loaded"),
    ("credential-stores", "file"): ("skytells-cli", "loaded"),
    ("credential-stores", "broken-store"): (
        "skytells-broken-store", "failed: ValueError: store configuration is corrupt"),
    ("credential-stores", "hsm"): ("skytells-hsm-store", "unavailable: no hardware token is plugged in"),
    ("credential-stores", "future"): (
        "skytells-future-store", "failed: it needs plugin interface version 99 and this skytells-cli implements 2"),
}


def rows_by_key(result):
    rows = {}
    for row in result.json():
        rows.setdefault((row["Group"], row["Name"]), []).append(row)
    return rows


def test_plugins_lists_every_plugin_with_its_state_as_json(plugin_system_cli):
    result = plugin_system_cli.run("plugins", "-f", "json")

    assert result.exit_code == 0, result
    assert result.stderr == ""
    rows = rows_by_key(result)
    for key, (distribution, state) in EXPECTED_STATES.items():
        (row,) = rows[key]
        assert (row["Distribution"], row["State"]) == (distribution, state), key
    assert rows[("commands", "hello")][0] == {
        "Group": "commands", "Name": "hello", "Distribution": "skytells-hello", "Version": "1.0",
        "Description": "Say hello from a plugin", "State": "loaded"}
    assert rows[("authenticators", "env-token")][0]["Description"] == "Read the personal access token from $DEMO_TOKEN"


def test_plugins_shows_both_claimants_of_a_name_winner_first(plugin_system_cli):
    rows = rows_by_key(plugin_system_cli.run("plugins", "-f", "json"))

    dup = rows[("authenticators", "dup")]
    assert [(row["Distribution"], row["State"]) for row in dup] == [
        ("skytells-dup-alpha", "loaded"),
        ("skytells-dup-beta", "unavailable: 'dup' is also provided by skytells-dup-alpha, which is used")]
    token = rows[("authenticators", "token")]
    assert [(row["Distribution"], row["State"]) for row in token] == [
        ("skytells-cli", "loaded"),
        ("skytells-token-clash", "unavailable: 'token' is also provided by skytells-cli, which is used")]


def test_plugins_table_is_grouped_in_order(plugin_system_cli):
    result = plugin_system_cli.run("plugins")

    assert result.exit_code == 0, result
    header = result.stdout.splitlines()[1]
    assert [cell.strip() for cell in header.strip("|").split("|")] == [
        "Group", "Name", "Distribution", "Version", "Description", "State"]
    groups = [line.split("|")[1].strip() for line in result.stdout.splitlines()[3:-1]]
    assert groups == sorted(groups, key=["commands", "authenticators", "credential-stores"].index)
    assert "Traceback" not in result.output


def test_plugins_group_filter(plugin_system_cli):
    result = plugin_system_cli.run("plugins", "--group", "credential-stores", "-f", "value", "-c", "Name")

    assert result.exit_code == 0, result
    assert {"file", "broken-store", "hsm", "future"} <= set(result.stdout.split())
    assert "hello" not in result.stdout
