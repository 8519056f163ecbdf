"""Login options: which options a method may declare, how the method is chosen, and where values come from."""

from __future__ import annotations

import argparse
import contextlib
import io

import pytest
from hypothesis import given
from hypothesis import strategies as st

from skytells.commands.login import LoginParser, add_common_options, chosen_method, method_in, option_values
from skytells.errors import UsageError
from skytells.login.base import LOGIN_FLAGS, LoginOption, options_problem
from skytells.login.device import DeviceLoader
from skytells.login.standard_options import issuer_url
from skytells.login.token import TokenLoader


def options(*flags: str) -> tuple[LoginOption, ...]:
    return tuple(LoginOption(flag, "Help.") for flag in flags)


@pytest.mark.parametrize("declared", [DeviceLoader.options, TokenLoader.options, options("--qr"),
                                      options("-q", "--quiet-login"), options("--x_y", "--x-z")])
def test_options_that_fit_are_accepted(declared):
    assert options_problem(declared) is None


@pytest.mark.parametrize("flag", LOGIN_FLAGS)
@pytest.mark.parametrize("position", [0, 1])
def test_a_flag_of_login_itself_is_a_clash(flag, position):
    declared = list(options("--mine"))
    declared.insert(position, LoginOption(flag, "Clashes."))
    assert options_problem(declared) == f"its option {flag} clashes with an option of skytells login itself"


@pytest.mark.parametrize("flag", ["method", "", "-", "--", "---x", "-xy", "--a b", "--x=1", "--\x1b[31m", "—x"])
def test_a_flag_argparse_cannot_take_is_refused(flag):
    problem = options_problem(options(flag))
    assert problem is not None and "is not an option name like --name" in problem
    assert "\x1b" not in problem


@pytest.mark.parametrize("pair", [("--x", "--x"), ("--a-b", "--a_b"), ("-q", "-q")])
def test_a_flag_declared_twice_is_refused(pair):
    assert options_problem(options(*pair)) == f"it declares {pair[1]} twice"


@pytest.mark.parametrize(("words", "method"), [
    ([], "device"), (["--token"], "token"), (["--method", "x"], "x"), (["--method=x"], "x"), (["--tok"], "token"),
    (["--qr", "--token"], "token"), (["-f", "--token", "--no-browser"], "token"),
    (["--scopes", "a,b", "--token"], "token"),
    (["--method", "x", "--marked", "1"], "x"), (["-h", "--method", "x"], "x"),
    # the common options are wrong: the default method's parser reports how
    (["--token", "--method", "x"], "device"), (["--method"], "device"), (["--scopes", "--token"], "device"),
    (["--", "--token"], "device"),
])
def test_the_method_is_read_first(words, method):
    assert method_in(words, "skytells login") == method


WORDS = ["--token", "--method", "device", "token", "--qr", "--no-browser", "--scopes", "inference", "-f",
         "--force", "--issuer", "https://issuer.example", "--client-id", "cli", "--method=token", "x"]


@given(st.lists(st.sampled_from(WORDS), max_size=8))
def test_the_first_step_agrees_with_the_full_parse(words):
    parser = LoginParser(prog="skytells login")
    add_common_options(parser)
    with contextlib.redirect_stderr(io.StringIO()):
        try:
            parsed = parser.parse_args(words)
        except (SystemExit, UsageError):
            return
    assert chosen_method(parsed) == parser.method == method_in(words, "skytells login")


def test_values_come_from_the_flag_else_the_variable_each_checked_naming_its_origin(monkeypatch):
    seen = []
    declared = (LoginOption("--where", "h", env="WHERE_VAR", parse=lambda text, origin: seen.append(origin) or text),
                LoginOption("--switch", "h", is_switch=True, env="SWITCH_VAR",
                            parse=lambda text, origin: seen.append(origin) or text))
    monkeypatch.setenv("WHERE_VAR", "from-env")
    monkeypatch.setenv("SWITCH_VAR", "1")

    from_flag = option_values(declared, argparse.Namespace(where="typed", switch=True))
    from_env = option_values(declared, argparse.Namespace(where=None, switch=False))

    assert from_flag == {"where": "typed", "switch": True}
    assert from_env == {"where": "from-env", "switch": "1"}
    assert seen == ["--where", "WHERE_VAR", "SWITCH_VAR"]  # a switch given as a flag is not text to parse


@pytest.mark.parametrize("origin", ["--issuer", "SKYTELLS_ISSUER"])
@pytest.mark.parametrize("url", ["ftp://issuer.example", "http://user:pw@issuer.example", "not a url"])
def test_a_bad_issuer_is_refused_naming_where_it_came_from(origin, url):
    with pytest.raises(UsageError) as caught:
        issuer_url(url, origin)
    assert caught.value.message.startswith(origin)
    assert "pw" not in str(caught.value)


@pytest.mark.parametrize("blank", ["", "  ", "\t"])
def test_a_blank_issuer_means_none(blank):
    assert issuer_url(blank, "SKYTELLS_ISSUER") is None
