"""The token login method: reading, checking and validating a pasted personal access token."""

from __future__ import annotations

from typing import Any

import pytest
import requests

from skytells.errors import AuthError, NetworkError, ServerError, UsageError
from skytells.exitcodes import ExitCode
from skytells.login.interface import LoginRun
from skytells.login.token import PROMPT, TokenLoader
from skytells.net.console_api import ConsoleClient
from skytells.terminal.ui import MAX_INPUT_LINE

BASE = "https://console.example.test"
PROJECTS_URL = f"{BASE}/api/v1/cli/projects"
TOKEN = "sk_pat_" + "0123456789abcdef" * 4


def login(terminal: Any, api: ConsoleClient, *, scopes_requested: bool = False) -> Any:
    run = LoginRun(terminal=terminal, api=api, server=BASE, scopes=("inference",), scopes_requested=scopes_requested)
    return TokenLoader().build({}).run(run)


def test_a_line_of_stdin_is_read_without_a_terminal_and_trimmed(requests_mock: Any, unit_api: ConsoleClient,
                                                                 unit_terminal_factory: Any) -> None:
    requests_mock.get(PROJECTS_URL, json={"data": []})
    terminal = unit_terminal_factory(f" \t {TOKEN}  \r\n")
    credential = login(terminal, unit_api)
    assert credential.token == TOKEN
    assert credential.method == "token"
    assert credential.host == BASE
    assert requests_mock.call_count == 1
    assert requests_mock.last_request.headers["Authorization"] == f"Bearer {TOKEN}"
    assert terminal.output == "Checking the token...\n"
    assert terminal.secret_prompts == []


def test_only_the_first_line_of_stdin_is_read(requests_mock: Any, unit_api: ConsoleClient,
                                              unit_terminal_factory: Any) -> None:
    requests_mock.get(PROJECTS_URL, json=[])
    terminal = unit_terminal_factory(f"{TOKEN}\nsomething else\n")
    assert login(terminal, unit_api).token == TOKEN
    assert terminal.stdin.read() == "something else\n"


def test_a_hidden_prompt_is_used_on_a_terminal(requests_mock: Any, unit_api: ConsoleClient,
                                               unit_terminal_factory: Any) -> None:
    requests_mock.get(PROJECTS_URL, json=[])
    terminal = unit_terminal_factory("this line must not be read\n", tty=True)
    terminal.secret_answers.append(f"  {TOKEN.upper().replace('SK_PAT_', 'sk_pat_')}  ")
    credential = login(terminal, unit_api)
    assert credential.token == TOKEN.upper().replace("SK_PAT_", "sk_pat_")  # hex digits in either case
    assert terminal.secret_prompts == [PROMPT]
    assert terminal.stdin.read() == "this line must not be read\n"


@pytest.mark.parametrize("pasted", [
    "sk_pat_" + "0123456789abcdef" * 4 + "0",  # 65 hex digits
    "sk_pat_" + "0123456789abcdef" * 3 + "0123456789abcde",  # 63
    "sk_pat_" + "0123456789abcdeg" * 4,  # not hex
    "sk_pat_" + "01234567-9abcdef" * 4,
    "sk_pat_",
    "SK_PAT_" + "0123456789abcdef" * 4,
    "Bearer sk_pat_" + "0123456789abcdef" * 4,
    "sk_pat_" + "0123456789abcdef" * 2 + " " + "0123456789abcdef" * 2,
    "ghp_R4nd0mG1tHubT0k3nTh4tW4sP4st3dByM1st4k3",
    "hunter2-my-password",
    "sk_live_9f8e7d6c5b4a39281706f5e4d3c2b1a0",
])
def test_a_bad_format_is_refused_without_echoing_it(requests_mock: Any, unit_api: ConsoleClient,
                                                    unit_terminal_factory: Any, pasted: str) -> None:
    terminal = unit_terminal_factory(pasted + "\n")
    with pytest.raises(UsageError) as caught:
        login(terminal, unit_api)
    error = caught.value
    assert error.exit_code == ExitCode.USAGE
    assert "not a personal access token" in error.message
    assert "sk_pat_ followed by 64 hexadecimal characters" in error.message
    secret_part = pasted.removeprefix("sk_pat_")
    for text in (str(error), repr(error), terminal.output):
        if secret_part:  # at most the sk_pat_ prefix is shown
            assert secret_part not in text
            assert pasted not in text
    if pasted.startswith("sk_pat_"):
        assert "(it starts with sk_pat_)" in error.message
    else:
        assert "starts with" not in error.message
    assert requests_mock.call_count == 0  # nothing was sent anywhere


def test_a_project_key_is_recognised_and_not_echoed(requests_mock: Any, unit_api: ConsoleClient,
                                                    unit_terminal_factory: Any) -> None:
    key = "sk_proj_Q2hhbmdlTWVQbGVhc2VJdHNBU2VjcmV0"
    terminal = unit_terminal_factory(key + "\n")
    with pytest.raises(UsageError) as caught:
        login(terminal, unit_api)
    assert caught.value.exit_code == ExitCode.USAGE
    assert "project access key" in str(caught.value)
    assert "skytells link -" in str(caught.value)
    assert key.removeprefix("sk_proj_") not in str(caught.value) + terminal.output
    assert requests_mock.call_count == 0


@pytest.mark.parametrize("stdin_text", ["", "\n", "   \t  \n"])
def test_empty_input_is_a_usage_error(requests_mock: Any, unit_api: ConsoleClient, unit_terminal_factory: Any,
                                      stdin_text: str) -> None:
    with pytest.raises(UsageError, match="No personal access token on standard input") as caught:
        login(unit_terminal_factory(stdin_text), unit_api)
    assert caught.value.exit_code == ExitCode.USAGE
    assert requests_mock.call_count == 0


@pytest.mark.parametrize(("typed", "message"), [
    ("", "Nothing entered."),
    ("   ", "Nothing entered."),
    ("\t \x0b", "Nothing entered."),
    (None, "Cancelled at the prompt (end of input)."),  # Ctrl-D
])
def test_nothing_typed_at_the_prompt_is_a_usage_error_that_says_so(requests_mock: Any, unit_api: ConsoleClient,
                                                                    unit_terminal_factory: Any, typed: str | None,
                                                                    message: str) -> None:
    terminal = unit_terminal_factory(tty=True)
    terminal.secret_answers.append(typed)
    with pytest.raises(UsageError) as caught:
        login(terminal, unit_api)
    assert caught.value.exit_code == ExitCode.USAGE
    assert str(caught.value) == message  # not "not a personal access token"
    assert terminal.secret_prompts == [PROMPT]
    assert requests_mock.call_count == 0


@pytest.mark.parametrize(("padding", "accepted"), [(0, True), (MAX_INPUT_LINE - len(TOKEN), True),
                                                   (MAX_INPUT_LINE - len(TOKEN) + 1, False)])
@pytest.mark.parametrize("end", ["\n", "\r\n", ""])
def test_a_line_of_stdin_is_read_up_to_the_limit(requests_mock: Any, unit_api: ConsoleClient,
                                                 unit_terminal_factory: Any, padding: int, accepted: bool,
                                                 end: str) -> None:
    requests_mock.get(PROJECTS_URL, json=[])
    rest = "next line\n" if end else ""  # without a line end, the token is the last thing in the input
    terminal = unit_terminal_factory(" " * padding + TOKEN + end + rest)
    if accepted:
        assert login(terminal, unit_api).token == TOKEN
        assert terminal.stdin.read() == rest
        return
    with pytest.raises(UsageError, match=f"More than {MAX_INPUT_LINE} characters on one line of standard input"):
        login(terminal, unit_api)
    assert requests_mock.call_count == 0
    assert terminal.stdin.tell() <= MAX_INPUT_LINE + 2


def test_invalid_token_is_an_auth_error(requests_mock: Any, unit_api: ConsoleClient,
                                        unit_terminal_factory: Any) -> None:
    requests_mock.get(PROJECTS_URL, status_code=401, json={"error": "Unauthenticated."})
    terminal = unit_terminal_factory(TOKEN + "\n")
    with pytest.raises(AuthError) as caught:
        login(terminal, unit_api)
    assert caught.value.exit_code == ExitCode.AUTH
    assert str(caught.value).startswith("Token is invalid")
    assert "https://console.example.test/settings/tokens" in str(caught.value)  # the console in use
    assert TOKEN not in str(caught.value) + terminal.output


def test_a_token_without_the_projects_scope_is_accepted_with_a_warning(requests_mock: Any,
                                                                       unit_api: ConsoleClient,
                                                                       unit_terminal_factory: Any) -> None:
    requests_mock.get(PROJECTS_URL, status_code=403, json={"message": "Insufficient scope"})
    terminal = unit_terminal_factory(TOKEN + "\n")
    credential = login(terminal, unit_api)
    assert credential.token == TOKEN
    assert "! The token is valid, lacks projects.read." in terminal.output.splitlines()


@pytest.mark.parametrize(("mock", "phrase"), [
    ({"exc": requests.exceptions.ConnectionError("[Errno 111] Connection refused")},
     "Could not connect to console.example.test (connection refused)"),
    ({"exc": requests.exceptions.ReadTimeout("timed out")}, "console.example.test did not answer in time"),
    ({"status_code": 500, "json": {"message": "oops"}}, "console.example.test answered HTTP 500: oops"),
    ({"status_code": 503, "text": "<html>maintenance</html>"}, "HTML page"),
])
def test_a_token_that_cannot_be_checked_is_not_saved(requests_mock: Any, unit_api: ConsoleClient,
                                                     unit_terminal_factory: Any, mock: dict[str, Any],
                                                     phrase: str) -> None:
    requests_mock.get(PROJECTS_URL, **mock)
    terminal = unit_terminal_factory(TOKEN + "\n")
    with pytest.raises(NetworkError) as caught:
        login(terminal, unit_api)
    assert caught.value.exit_code == ExitCode.FAILURE
    assert "Could not check the token, so it was not saved" in str(caught.value)
    assert phrase in str(caught.value)
    assert TOKEN not in str(caught.value) + terminal.output


def test_a_redirect_is_not_followed_with_the_token(requests_mock: Any, unit_api: ConsoleClient,
                                                   unit_terminal_factory: Any) -> None:
    requests_mock.get(PROJECTS_URL, status_code=302, headers={"Location": "https://evil.example/steal"})
    requests_mock.get("https://evil.example/steal", json=[])
    with pytest.raises(ServerError, match="redirect"):
        login(unit_terminal_factory(TOKEN + "\n"), unit_api)
    assert [r.hostname for r in requests_mock.request_history] == ["console.example.test"]


def test_scopes_with_a_token_are_warned_about(requests_mock: Any, unit_api: ConsoleClient,
                                              unit_terminal_factory: Any) -> None:
    requests_mock.get(PROJECTS_URL, json=[])
    terminal = unit_terminal_factory(TOKEN + "\n")
    login(terminal, unit_api, scopes_requested=True)
    assert terminal.output.splitlines()[0] == (
        "! --scopes has no effect with a personal access token: its scopes were chosen when it was created.")


def test_no_scopes_warning_by_default(requests_mock: Any, unit_api: ConsoleClient,
                                      unit_terminal_factory: Any) -> None:
    requests_mock.get(PROJECTS_URL, json=[])
    terminal = unit_terminal_factory(TOKEN + "\n")
    login(terminal, unit_api)
    assert "--scopes" not in terminal.output
