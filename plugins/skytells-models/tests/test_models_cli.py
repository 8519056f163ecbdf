"""``skytells models`` and ``skytells predictions`` through the real executable, against the sandbox.

Written as any plugin's tests would be: the ``skytells_cli`` runner of
``skytells.testing`` (its own home and configuration, no credential from the
caller), a sandbox it points the CLI at, and the secret canary at the end.
"""

from __future__ import annotations

import json

import pytest


@pytest.fixture
def cli(skytells_cli):
    """The runner, pointed at a sandbox whose predictions finish 0.3 s after they start, with an API key."""
    sandbox = skytells_cli.start_sandbox(prediction_seconds=0.3)
    skytells_cli.env["SKYTELLS_API_KEY"] = skytells_cli.secret(sandbox.issue_api_key())
    skytells_cli.forbid_tracebacks = True
    yield skytells_cli
    skytells_cli.check_canary()


def ok(result):
    assert result.code == 0, result
    return result


def create(cli, model="sandbox-image-1", *extra):
    return ok(cli.run("predictions", "create", model, "--input", '{"prompt": "a lighthouse"}', "-f", "json",
                      *extra)).json()


def test_models_ls_in_every_format(cli):
    table = ok(cli.run("models", "ls")).stdout
    assert "sandbox-image-1" in table and "operational" in table
    listed = ok(cli.run("models", "ls", "-f", "json")).json()
    assert {"slug": "sandbox-text-1", "name": "Sandbox Text", "type": "text", "status": "operational",
            "vendor": "Skytells Sandbox"} in listed
    assert ok(cli.run("models", "ls", "--type", "video", "-f", "value", "-c", "slug")).stdout == "sandbox-video-1\n"
    assert "sandbox-audio-1" in ok(cli.run("models", "ls", "-f", "yaml")).stdout


def test_models_inspect_is_typed_for_programs(cli):
    shown = ok(cli.run("models", "inspect", "sandbox-image-1", "-f", "json")).json()
    assert shown["slug"] == "sandbox-image-1" and shown["billable"] is False
    assert shown["pricing"] == {"amount": 0, "currency": "USD", "unit": "prediction"}
    assert shown["capabilities"] == ["text-to-image"] and shown["required"] == ["prompt"]
    table = ok(cli.run("models", "inspect", "sandbox-image-1")).stdout
    assert "0 USD per prediction" in table


def test_an_unknown_model_is_one_error_line(cli):
    result = cli.run("models", "inspect", "nope")
    assert result.code == 1
    (line,) = result.error_lines
    assert "HTTP 404: Model not found: No model has the slug 'nope'" in line


def test_a_slug_cannot_leave_its_path(cli):
    result = cli.run("models", "inspect", "../predictions")
    assert result.code == 1
    assert "HTTP 404" in result.stderr  # sent as one escaped segment, never as a path of its own
    assert cli.sandbox.requests_seen[-1].path == "/v1/models/..%2Fpredictions"


def test_without_an_api_key_exit_4(cli):
    result = cli.run("models", "ls", env={"SKYTELLS_API_KEY": None})
    assert result.code == 4
    assert result.error_lines == ["error: No API key is set. Run skytells api-key set (or set SKYTELLS_API_KEY)."]
    as_json = cli.run("models", "ls", "-f", "json", env={"SKYTELLS_API_KEY": None})
    assert as_json.json()["error"]["reason"] == "not_logged_in"


def test_a_refused_key_exit_4(cli):
    key = cli.secret(cli.sandbox.issue_api_key())
    cli.sandbox.revoke(key)
    result = cli.run("models", "ls", env={"SKYTELLS_API_KEY": key})
    assert result.code == 4
    assert "refused the API key (HTTP 401: Invalid API key)" in result.stderr


def test_a_stored_key_works_too(cli):
    key = cli.secret(cli.sandbox.issue_api_key())
    ok(cli.run("api-key", "set", input=key + "\n", env={"SKYTELLS_API_KEY": None}))
    ok(cli.run("models", "ls", env={"SKYTELLS_API_KEY": None}))
    assert cli.sandbox.requests_seen[-1].header("x-api-key") == key


def slow(cli):
    """Point the CLI at a sandbox whose predictions take ten minutes, with its own API key."""
    sandbox = cli.start_sandbox(prediction_seconds=600)
    cli.env["SKYTELLS_API_KEY"] = cli.secret(sandbox.issue_api_key())
    return sandbox


def test_create_get_ls_cancel_rm(cli):
    slow(cli)
    created = create(cli)
    assert created["status"] in ("starting", "processing") and created["model"] == "sandbox-image-1"
    fetched = ok(cli.run("predictions", "get", created["id"], "-f", "json")).json()
    assert fetched["id"] == created["id"]
    listed = ok(cli.run("predictions", "ls", "-f", "json")).json()
    assert [row["id"] for row in listed] == [created["id"]]
    ok(cli.run("predictions", "cancel", created["id"]))
    assert ok(cli.run("predictions", "get", created["id"], "-f", "value", "-c", "status")).stdout == "canceled\n"
    again = cli.run("predictions", "cancel", created["id"])
    assert again.code == 1 and "HTTP 409" in again.stderr
    removed = ok(cli.run("predictions", "rm", created["id"]))
    assert "Deleted prediction" in removed.stderr
    gone = cli.run("predictions", "get", created["id"])
    assert gone.code == 1 and "Prediction not found" in gone.stderr


def test_ls_pages_and_filters(cli):
    first, second = create(cli), create(cli, "sandbox-text-1")
    page = ok(cli.run("predictions", "ls", "--per-page", "1", "--page", "2", "-f", "json")).json()
    assert [row["id"] for row in page] == [first["id"]]
    texts = ok(cli.run("predictions", "ls", "--model", "sandbox-text-1", "-f", "json")).json()
    assert [row["id"] for row in texts] == [second["id"]]
    for bad in (("--per-page", "51"), ("--page", "0"), ("--per-page", "x")):
        refused = cli.run("predictions", "ls", *bad)
        assert refused.code == 2, refused


def test_wait_prints_plain_lines_without_a_terminal(cli):
    result = ok(cli.run("predictions", "create", "sandbox-text-1", "--input", '{"prompt": "hi"}', "--wait",
                        "--interval", "0.1", "-f", "json"))
    done = result.json()
    assert done["status"] == "succeeded" and done["output"][0].endswith(".txt")
    lines = result.stderr.splitlines()
    assert lines[0].startswith(f"Prediction {done['id']}: ") and lines[-1] == f"Prediction {done['id']}: succeeded"
    assert "\x1b" not in result.stderr and "\r" not in result.stderr
    quiet = ok(cli.run("-q", "predictions", "create", "sandbox-text-1", "--input", '{"prompt": "hi"}', "--wait",
                       "--interval", "0.1"))
    assert quiet.stderr == ""


def test_wait_for_a_failure_exits_1_with_its_error(cli):
    result = cli.run("predictions", "create", "sandbox-fail-1", "--input", '{"prompt": "hi"}', "--wait",
                     "--interval", "0.1", "-f", "json")
    assert result.code == 1
    assert result.json()["status"] == "failed"
    assert "Prediction " in result.stderr and "failed: The sandbox model always fails" in result.stderr


def test_wait_gives_up_after_its_timeout(cli):
    result = cli.run("predictions", "create", "sandbox-text-1", "--input", '{"prompt": "hi"}', "--wait",
                     "--interval", "0.05", "--timeout", "0.1")
    assert result.code == 1
    assert "after 0 s. It goes on; see it with: skytells predictions get pred_" in result.stderr


def test_wait_on_a_terminal_shows_progress(cli):
    terminal = cli.spawn("predictions", "create", "sandbox-text-1", "--input", '{"prompt": "hi"}', "--wait",
                         "--interval", "0.1", "-f", "value", "-c", "status")
    terminal.expect("succeeded")
    assert terminal.wait() == 0
    assert "Prediction pred_" in terminal.plain


def test_input_from_a_file_and_from_stdin(cli, tmp_path):
    path = tmp_path / "input.json"
    path.write_text(json.dumps({"prompt": "from a file"}))
    ok(cli.run("predictions", "create", "sandbox-text-1", "--input", f"@{path}"))
    ok(cli.run("predictions", "create", "sandbox-text-1", "--input", "@-", input='{"prompt": "piped"}'))
    sent = [json.loads(seen.body)["input"]["prompt"] for seen in cli.sandbox.requests_seen if seen.method == "POST"]
    assert sent == ["from a file", "piped"]


@pytest.mark.parametrize(("given", "message"), [
    ("not json", "--input is not valid JSON"),
    ("[1, 2]", "--input must be a JSON object"),
    ("@/nonexistent/input.json", "--input: could not read"),
])
def test_bad_input_is_a_usage_error_before_any_request(cli, given, message):
    result = cli.run("predictions", "create", "sandbox-text-1", "--input", given)
    assert result.code == 2
    assert message in result.stderr
    assert cli.sandbox.requests_seen == []


def test_the_server_refusing_an_input_is_one_line(cli):
    result = cli.run("predictions", "create", "sandbox-text-1", "--input", "{}")
    assert result.code == 1
    assert result.error_lines[0].endswith("answered HTTP 422: Validation failed: input.prompt is required and must "
                                          "be text " + result.error_lines[0].rsplit(" ", 1)[1])


def test_help_and_plugins_show_the_commands(cli):
    listing = ok(cli.run("help")).stdout
    for command in ("models inspect", "models ls", "predictions create", "predictions get", "predictions ls",
                    "predictions cancel", "predictions rm"):
        assert command in listing
    assert "List the models of the inference API" in ok(cli.run("models")).stdout
    plugins = ok(cli.run("plugins", "-f", "json")).json()
    ours = [row for row in plugins if row["Distribution"] == "skytells-models"]
    assert len(ours) == 7 and all(row["State"] == "loaded" for row in ours), plugins
    assert "provided by the skytells-models plugin" in ok(cli.run("help", "predictions", "create")).stdout
