"""Standard checks every authenticator (login method) must pass.

Subclass :class:`AuthenticatorConformance`, name the class and describe how to
drive it: ``success_case`` makes the method end up with a given token,
``failure_cases`` make it fail. pytest then checks it in process and through
``skytells login --method NAME`` against a sandbox::

    from skytells.testing import AuthenticatorConformance, LoginCase

    class TestMyMethod(AuthenticatorConformance):
        authenticator_class = MyAuthenticator

        def success_case(self, token, tmp_path):
            return LoginCase(env={"MY_TOKEN_SOURCE": token})

The checks need skytells-sandbox; they are skipped without it.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import pytest

from skytells.config.scopes import DEFAULT_SCOPES
from skytells.errors import SkytellsError
from skytells.extensions import plugins
from skytells.extensions.discovery import AUTHENTICATORS
from skytells.login.interface import LoginOption, LoginRun, MethodLoader
from skytells.net.console_api import ConsoleClient
from skytells.net.http import HttpClient
from skytells.terminal.ui import Terminal
from skytells.testing.checks import assert_declared, exception_texts
from skytells.testing.cli import CliRunner

#: Words that mark an option as taking a secret value, which must never be a command-line option.
SECRET_WORDS = ("token", "password", "passphrase", "secret", "key")


@dataclass(frozen=True)
class LoginCase:
    """One way to drive the method under test."""

    #: Option values by ``LoginOption.dest`` (in-process checks); unset options are None/False.
    options: Mapping[str, Any] = field(default_factory=dict)
    #: The same options as ``skytells login`` arguments, after ``--method NAME`` (command-line checks).
    argv: Sequence[str] = ()
    #: Environment variables set for both checks.
    env: Mapping[str, str] = field(default_factory=dict)
    #: What standard input holds.
    stdin: str = ""
    #: Strings that must never be shown (the token a failing case handles, for instance).
    secrets: Sequence[str] = ()


class FakeClock:
    """A monotonic clock that moves only when the authenticator sleeps."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += max(seconds, 0.0)


class AuthenticatorConformance:
    """Metadata, registration, success, failure and secrecy checks for an authenticator."""

    #: The login method under test: its loader (interface version 2) or a version 1 authenticator.
    authenticator_class: ClassVar[type[MethodLoader]]
    #: SandboxConfig settings for the sandbox the checks run against.
    sandbox_settings: ClassVar[Mapping[str, Any]] = {}

    def success_case(self, token: str, tmp_path: Path) -> LoginCase:
        """How to make the method obtain ``token`` (a valid token the sandbox issued)."""
        raise NotImplementedError("describe a successful login in success_case()")

    def failure_cases(self, tmp_path: Path) -> list[LoginCase]:
        """Ways to make the method fail; each must raise a SkytellsError with a one-line message."""
        return []

    # -- helpers -----------------------------------------------------------------

    @pytest.fixture
    def login_sandbox(self, skytells_sandbox_factory: Any) -> Any:
        """The sandbox the checks log in against."""
        return skytells_sandbox_factory(**self.sandbox_settings)

    def run_in_process(self, case: LoginCase, sandbox: Any, monkeypatch: pytest.MonkeyPatch) -> tuple[Any, str]:
        """Authenticate in this process; return (the result or the raised SkytellsError, what was shown)."""
        for name, value in case.env.items():
            monkeypatch.setenv(name, value)
        options: dict[str, Any] = {o.dest: (False if o.is_switch else None)
                                   for o in self.authenticator_class.options}
        options.update(case.options)
        shown = io.StringIO()
        clock = FakeClock()
        run = LoginRun(terminal=Terminal(stdin=io.StringIO(case.stdin), stderr=shown),
                       api=ConsoleClient(HttpClient(sandbox.url)), server=sandbox.url,
                       scopes=tuple(DEFAULT_SCOPES), scopes_requested=False, options=options,
                       clock=clock, sleep=clock.sleep)
        try:
            return self.authenticator_class().build(options).run(run), shown.getvalue()
        except SkytellsError as error:
            return error, shown.getvalue()

    # -- the interface ---------------------------------------------------------------

    def test_declares_name_description_and_options(self) -> None:
        cls = self.authenticator_class
        assert_declared(cls)
        dests = [option.dest for option in cls.options]
        assert len(dests) == len(set(dests)), "two options share a destination"
        for option in cls.options:
            assert isinstance(option, LoginOption) and option.flag.startswith("--") and option.help.strip()
            words = option.flag.lstrip("-").split("-")
            assert option.is_switch or not any(word in SECRET_WORDS for word in words), (
                f"{option.flag} looks like it takes a secret; secrets must be read from the terminal or stdin, "
                "never from the command line")

    def test_is_available_in_the_test_environment(self) -> None:
        reason = self.authenticator_class.unavailable_reason()
        assert reason is None, f"the method is unavailable here: {reason}"

    def test_is_registered_under_its_name(self) -> None:
        ep = plugins.find(AUTHENTICATORS, self.authenticator_class.name)
        assert plugins.load(ep) is self.authenticator_class

    # -- in process --------------------------------------------------------------------

    def test_success_returns_the_credential(self, login_sandbox: Any, tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch,
                                            caplog: pytest.LogCaptureFixture) -> None:
        caplog.set_level(logging.DEBUG)
        token = login_sandbox.issue_token()

        result, shown = self.run_in_process(self.success_case(token, tmp_path), login_sandbox, monkeypatch)

        assert not isinstance(result, SkytellsError), f"the login failed: {result}"
        assert result.token == token
        assert result.method == self.authenticator_class.name
        assert result.host == login_sandbox.url
        for text in (repr(result), str(result), shown, caplog.text):
            assert token not in text, "the token was shown or logged"

    def test_failures_are_one_line_errors_without_secrets(self, login_sandbox: Any, tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch,
                                                          caplog: pytest.LogCaptureFixture) -> None:
        caplog.set_level(logging.DEBUG)
        cases = self.failure_cases(tmp_path)
        if not cases:
            pytest.skip("no failure_cases() given")
        for case in cases:
            with monkeypatch.context() as patch:
                result, shown = self.run_in_process(case, login_sandbox, patch)
            assert isinstance(result, SkytellsError), f"{case} did not fail with a SkytellsError"
            assert "\n" not in str(result), f"the error is not one line: {result!r}"
            texts = "\n".join([*exception_texts(result), shown, caplog.text])
            for secret in case.secrets:
                assert secret not in texts, f"a secret of {case} was shown"

    # -- through the command line --------------------------------------------------------

    def test_login_from_the_command_line(self, login_sandbox: Any, skytells_cli: CliRunner,
                                         tmp_path: Path) -> None:
        token = login_sandbox.issue_token()
        case = self.success_case(token, tmp_path)
        env = {**case.env, "SKYTELLS_API_URL": login_sandbox.url}

        login = skytells_cli.run("login", "--method", self.authenticator_class.name, *case.argv,
                                 input=case.stdin, env=env)
        check = skytells_cli.run("whoami", env=env)

        assert login.exit_code == 0, str(login)
        assert check.exit_code == 0, str(check)
        assert token not in login.output + check.output
        assert "Traceback" not in login.stderr

    def test_failures_from_the_command_line(self, login_sandbox: Any, skytells_cli: CliRunner,
                                            tmp_path: Path) -> None:
        cases = self.failure_cases(tmp_path)
        if not cases:
            pytest.skip("no failure_cases() given")
        for case in cases:
            env = {**case.env, "SKYTELLS_API_URL": login_sandbox.url}
            result = skytells_cli.run("login", "--method", self.authenticator_class.name, *case.argv,
                                      input=case.stdin, env=env)
            assert result.exit_code != 0, str(result)
            assert "Traceback" not in result.stderr, str(result)
            errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
            assert len(errors) == 1, str(result)
            for secret in case.secrets:
                assert secret not in result.output
            assert not skytells_cli.credentials().get("token"), "a failed login stored a token"

    def test_listed_by_login_help(self, skytells_cli: CliRunner) -> None:
        result = skytells_cli.run("login", "--help")
        own = skytells_cli.run("login", "--method", self.authenticator_class.name, "--help")

        assert result.exit_code == 0, str(result)
        assert own.exit_code == 0, str(own)
        assert self.authenticator_class.name in result.stdout
        for option in self.authenticator_class.options:
            assert option.flag in own.stdout
