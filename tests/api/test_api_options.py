"""``skytells api``: every option, through the real executable, against a server that echoes what it got.

The console is an observing server; the user token comes from SKYTELLS_TOKEN
(the user's explicit choice, sent wherever SKYTELLS_API_URL points).
"""

from __future__ import annotations

import json

import pytest

TOKEN = "sk_pat_" + "ab12" * 16


@pytest.fixture
def console(e2e, api_server):
    server = api_server()
    e2e.point_at(server.url)
    e2e.env["SKYTELLS_TOKEN"] = e2e.secret(TOKEN)
    return server


def only(server):
    (request,) = server.received
    return request


def test_a_get_prints_the_body_as_received(e2e, console):
    console.on("/api/v1/cli/projects", lambda h, r: _raw(h, b'{"data": [1,2],   "x": "y"}'))
    result = e2e.run("api", "/api/v1/cli/projects")
    assert result.code == 0, result
    assert result.stdout == '{"data": [1,2],   "x": "y"}'  # as received: not re-encoded, no newline added
    assert result.stderr == ""
    request = only(console)
    assert (request.method, request.path) == ("GET", "/api/v1/cli/projects")
    assert request.header("Authorization") == f"Bearer {TOKEN}"


def _raw(handler, data: bytes, status: int = 200, content_type: str = "application/json"):
    handler.send_response(status)
    handler.send_header("Content-Type", content_type)
    handler.send_header("Content-Length", str(len(data)))
    handler.end_headers()
    handler.wfile.write(data)


def test_a_path_without_its_slash_and_with_a_query(e2e, console):
    assert e2e.run("api", "api/v1/x?a=1&b=two").code == 0
    assert only(console).path == "/api/v1/x?a=1&b=two"


def test_typed_and_raw_fields_make_a_json_body_and_a_post(e2e, console, tmp_path):
    (tmp_path / "note.txt").write_text("from a file\n")
    result = e2e.run("api", "/things", "-F", "n=42", "-F", "x=1.5", "-F", "on=true", "-F", "off=false",
                     "-F", "none=null", "-F", "word=hello", "-f", "raw=42", "-F", f"file=@{tmp_path / 'note.txt'}",
                     "-F", "nested[a][b]=1", "-f", "list[]=one", "-f", "list[]=two", "-F", "piped=@-",
                     input="from stdin")
    assert result.code == 0, result
    request = only(console)
    assert request.method == "POST"
    assert request.header("Content-Type") == "application/json"
    assert request.json() == {"n": 42, "x": 1.5, "on": True, "off": False, "none": None, "word": "hello",
                              "raw": "42", "file": "from a file\n", "nested": {"a": {"b": 1}},
                              "list": ["one", "two"], "piped": "from stdin"}


def test_fields_of_a_get_are_the_query_string(e2e, console):
    assert e2e.run("api", "-X", "GET", "/search", "-F", "limit=5", "-f", "q=a b", "-F", "on=true").code == 0
    request = only(console)
    assert (request.method, request.path, request.body) == ("GET", "/search?limit=5&q=a+b&on=true", b"")


@pytest.mark.parametrize("method", ["PUT", "PATCH", "DELETE", "post"])
def test_the_method_is_chosen_with_x(e2e, console, method):
    assert e2e.run("api", "-X", method, "/things/1").code == 0
    assert only(console).method == method.upper()


def test_input_sends_a_file_as_the_body_and_fields_in_the_query(e2e, console, tmp_path):
    body = tmp_path / "body.json"
    body.write_bytes(b'{"already": "encoded"}')
    assert e2e.run("api", "/things", "--input", str(body), "-f", "dry_run=yes").code == 0
    request = only(console)
    assert (request.method, request.path, request.body) == ("POST", "/things?dry_run=yes", b'{"already": "encoded"}')
    assert request.header("Content-Type") == "application/json"


def test_input_from_stdin_and_a_header(e2e, console):
    result = e2e.run("api", "-X", "PUT", "/blob", "--input", "-", "-H", "Content-Type: text/plain",
                     "-H", "X-Trace: 7", input="plain text body")
    assert result.code == 0, result
    request = only(console)
    assert (request.method, request.body) == ("PUT", b"plain text body")
    assert request.header("Content-Type") == "text/plain"
    assert request.header("X-Trace") == "7"


def test_include_shows_the_status_line_and_headers_first(e2e, console):
    console.on("/h", lambda h, r: _raw(h, b'{"ok":true}'))
    result = e2e.run("api", "-i", "/h")
    assert result.code == 0, result
    head, _, body = result.stdout.partition("\n\n")
    lines = head.splitlines()
    assert lines[0] == "HTTP/1.0 200 OK" or lines[0] == "HTTP/1.1 200 OK"
    assert "Content-Type: application/json" in lines
    assert body == '{"ok":true}'


def test_a_terminal_gets_pretty_json(e2e, console):
    console.on("/p", lambda h, r: _raw(h, b'{"a":{"b":[1,2]},"evil":"\\u001b[31mred\\u202e"}'))
    terminal = e2e.spawn("api", "/p", env={"SKYTELLS_TOKEN": TOKEN})
    assert terminal.wait() == 0
    shown = terminal.output.replace("\r\n", "\n")
    assert '{\n  "a": {\n    "b": [\n      1,\n      2\n    ]\n  },' in shown
    assert "\x1b[31m" not in shown and "\u202e" not in shown  # escapes stay escaped
    e2e.record(("api", "/p"), shown)


# -- errors -------------------------------------------------------------------------------------------------

API_ERROR = {"error": {"message": "Model not found", "details": "No model has the slug 'x'", "error_id": "err_1"}}


@pytest.mark.parametrize(("status", "body", "code", "said"), [
    (404, API_ERROR, 1, "HTTP 404: Model not found: No model has the slug 'x' [err_1]"),
    (422, {"message": "Validation failed"}, 1, "HTTP 422: Validation failed"),
    (503, {"response": "Service unavailable"}, 1, "HTTP 503: Service unavailable"),
    (403, {"error": "Forbidden", "message": "insufficient scope"}, 1, "HTTP 403: insufficient scope"),
    (401, {"error": "Unauthorized", "message": "Token is invalid or expired"}, 4,
     "HTTP 401: Token is invalid or expired"),
    (500, None, 1, "HTTP 500 Internal Server Error"),
])
def test_an_error_status_is_one_line_and_its_exit_code(e2e, console, status, body, code, said):
    console.on("/x", lambda h, r: _raw(h, b"" if body is None else json.dumps(body).encode(), status=status))
    result = e2e.run("api", "/x")
    assert result.code == code, result
    assert result.stdout == ""
    (line,) = result.stderr.splitlines()
    assert line.startswith("error: ") and said in line, line
    assert "Traceback" not in result.stderr


def test_with_include_or_json_the_error_body_is_still_printed(e2e, console):
    console.on("/x", lambda h, r: _raw(h, json.dumps(API_ERROR).encode(), status=404))
    included = e2e.run("api", "-i", "/x")
    assert included.code == 1
    assert included.stdout.startswith("HTTP/1.") and included.stdout.endswith(json.dumps(API_ERROR))
    as_json = e2e.run("api", "--json", "/x")
    assert as_json.code == 1
    assert json.loads(as_json.stdout) == API_ERROR  # the body alone: one JSON document
    assert len(as_json.error_lines) == 1


def test_json_without_an_answer_prints_the_error_object(e2e, e2e_closed_url):
    e2e.point_at(e2e_closed_url)
    result = e2e.run("api", "--json", "/x", env={"SKYTELLS_TOKEN": TOKEN})
    assert result.code == 1
    error = result.json()["error"]
    assert (error["reason"], error["exit_code"]) == ("network", 1)
    assert "connection refused" in error["message"]


def test_a_field_named_json_is_not_a_request_for_json_errors(e2e, console):
    console.on("/x", lambda h, r: _raw(h, b"{}", status=409))
    result = e2e.run("api", "/x", "-f", "json=1", "-f", "format=json")
    assert result.code == 1
    assert result.stdout == ""


@pytest.mark.parametrize(("args", "message"), [
    (("-F", "novalue"), "-F takes KEY=VALUE"),
    (("-f", "=x"), "-f takes KEY=VALUE"),
    (("-F", "a=1", "-F", "a[b]=2"), "does not fit"),
    (("-F", "f=@/nonexistent/file"), "there is no file"),
    (("--input", "/nonexistent/file"), "there is no file"),
    (("-H", "no colon"), "-H takes 'Name: value'"),
    (("-H", "Host: elsewhere"), "set by the HTTP library"),
    (("-X", "GE T"), "is not an HTTP method"),
    (("--inference", "--issuer"), "not allowed with argument"),
    (("--inference", "--project"), "sent to the console only"),
])
def test_usage_errors_exit_2_before_any_request(e2e, console, args, message):
    result = e2e.run("api", "/x", *args)
    assert result.code == 2, result
    assert message in result.stderr
    assert console.received == []


@pytest.mark.parametrize("header", ["Authorization: Bearer sk_pat_" + "cd34" * 16, "x-api-key: sbx_key_" + "9" * 48])
def test_a_credential_header_is_refused_and_never_echoed(e2e, console, header):
    e2e.secret(header.partition(" ")[2].split()[-1])
    result = e2e.run("api", "/x", "-H", header)
    assert result.code == 2
    assert "is not accepted" in result.stderr
    assert console.received == []


def test_a_body_over_the_limit_is_refused_before_any_request(e2e, console):
    for args in (("--input", "/dev/zero"), ("-F", "big=@/dev/zero")):
        result = e2e.run("api", "/x", *args)
        assert result.code == 2, result
        assert "more than 8 MiB" in result.stderr
    assert console.received == []


def test_help_lists_the_options(e2e):
    result = e2e.run("api", "--help")
    assert result.code == 0
    for option in ("--inference", "--issuer", "--project", "-X", "-F", "-f", "-H", "--input", "-i", "--json"):
        assert option in result.stdout
