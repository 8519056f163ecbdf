"""Each login method owns its options: the real ``skytells`` with throwaway login methods installed.

The site below holds methods whose module leaves a marker file when imported,
one that declares ``--qr`` like the device method (allowed: one method is
active at a time), and one method per flag of ``skytells login`` itself that
declares that flag (a clash: the method is broken). Everything in it is
backdated so that skytells caches what it reads, as after a real install.
"""

from __future__ import annotations

import json
import os
import re
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from skytells.login.base import LOGIN_FLAGS

AUTHENTICATORS = "skytells.authenticators"
DEVICE_FLAGS = {"--qr": (), "--no-browser": (), "--issuer": ("https://issuer.example",), "--client-id": ("cli",)}

#: Imports leave a marker: ``$LOGIN_MARKERS/<module>``; at exit the run lists every module it imported.
MARKER = '''
import os, pathlib
if os.environ.get("LOGIN_MARKERS"):
    pathlib.Path(os.environ["LOGIN_MARKERS"], __name__).touch()
'''
SITECUSTOMIZE = '''
import atexit, os, sys

def _record():
    if os.environ.get("LOGIN_MODULES_FILE"):
        with open(os.environ["LOGIN_MODULES_FILE"], "w") as handle:
            handle.write("\\n".join(sorted(sys.modules)))

atexit.register(_record)
'''

def unwrapped(listing: str) -> str:
    """A help listing with each row's wrapped continuation lines (a hanging indent) joined to the row."""
    return re.sub(r"\n {6,}(?=\S)", " ", listing)



def method_source(name: str, options: str) -> str:
    """A method whose ``authenticate`` fails with the option values it received (exit 4)."""
    return MARKER + f'''
from skytells.login.base import Authenticator, LoginOption
from skytells.errors import AuthError


class Method(Authenticator):
    name = {name!r}
    description = "The {name} test method"
    options = ({options})

    def authenticate(self, login):
        raise AuthError("{name} got " + ", ".join(f"{{k}}={{v}}" for k, v in sorted(login.options.items())))
'''


def slug(flag: str) -> str:
    return flag.lstrip("-")


#: method name -> (module, source)
METHODS = {
    "marked": ("sk_marked", method_source("marked", 'LoginOption("--marked-level", "How marked.", metavar="N"),')),
    "also-qr": ("sk_also_qr", method_source("also-qr", 'LoginOption("--qr", "Its own --qr.", is_switch=True),')),
    **{f"clash-{slug(flag)}": (f"sk_clash_{slug(flag)}",
                               method_source(f"clash-{slug(flag)}", f'LoginOption({flag!r}, "Clashes."),'))
       for flag in LOGIN_FLAGS},
}
WORKING = ("marked", "also-qr")
CLASHING = {f"clash-{slug(flag)}": flag for flag in LOGIN_FLAGS}
CLASH_MODULES = {METHODS[name][0] for name in CLASHING}
METHOD_MODULES = {"skytells.login.device", "skytells.login.token", "skytells_auth_command.authenticator",
                  *(module for module, _source in METHODS.values())}


@pytest.fixture(scope="module")
def login_options_site(tmp_path_factory: pytest.TempPathFactory,
                       plugin_system_writer: Callable[..., None]) -> Path:
    site = tmp_path_factory.mktemp("login-options-site")
    for name, (module, source) in METHODS.items():
        plugin_system_writer(site, f"skytells-{name}", {module: source}, {AUTHENTICATORS: {name: f"{module}:Method"}})
    (site / "sitecustomize.py").write_text(SITECUSTOMIZE)
    moment = time.time() - 60  # installed a minute ago: quiet enough to cache
    for path in [*site.rglob("*"), site]:
        os.utime(path, (moment, moment))
    return site


class Run:
    """The CLI seeing the site; each run says which modules it imported."""

    def __init__(self, cli, site: Path) -> None:
        self.cli = cli
        self.markers = cli.root / "markers"
        self.markers.mkdir(parents=True, exist_ok=True)
        self.modules_file = cli.root / "modules.txt"
        cli.env.update(PYTHONPATH=os.pathsep.join(filter(None, [str(site), os.environ.get("PYTHONPATH")])),
                       LOGIN_MARKERS=str(self.markers), LOGIN_MODULES_FILE=str(self.modules_file))

    def __call__(self, *args: str, **kwargs):
        for marker in self.markers.iterdir():
            marker.unlink()
        self.modules_file.unlink(missing_ok=True)
        return self.cli.run(*args, **kwargs)

    def marked(self) -> set[str]:
        """The throwaway method modules the last run imported (their markers)."""
        return {marker.name for marker in self.markers.iterdir()}

    def methods_imported(self) -> set[str]:
        """Every login method module the last run imported."""
        return set(self.modules_file.read_text().split()) & METHOD_MODULES


@pytest.fixture
def login_run(skytells_cli, login_options_site: Path) -> Run:
    return Run(skytells_cli, login_options_site)


def error_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if "error:" in line]


# login --help lists the methods without importing them ------------------------------------------


def test_login_help_lists_every_method_and_imports_only_the_broken_ones_once_cached(login_run):
    first = login_run("login", "--help")
    assert first.exit_code == 0, first
    assert {"sk_marked", "sk_also_qr"} <= login_run.marked()  # cold cache: imported to learn the descriptions

    again = login_run("login", "--help")

    assert again.exit_code == 0, again
    assert again.stdout == first.stdout
    for name in WORKING:
        assert re.search(rf"^  {name} +The {name} test method$", again.stdout, re.M)
    assert login_run.marked() == CLASH_MODULES  # a broken method cannot be cached: it is met, and reported
    assert login_run.methods_imported() == {"skytells.login.device", *CLASH_MODULES}
    assert "'skytells login --method NAME --help' shows the options of method NAME" in again.stdout


def test_login_help_shows_the_default_method_options_and_no_other_method_options(login_run):
    result = login_run("login", "--help")

    assert result.exit_code == 0, result
    assert "options of the 'device' login method (the default):" in result.stdout
    for flag in (*DEVICE_FLAGS, "--token", "--method", "--scopes", "--force"):
        assert flag in result.stdout
    assert "--marked-level" not in result.stdout


@pytest.mark.parametrize("args", [("login", "--help"), ("help", "login")])
def test_a_changed_method_module_is_described_afresh(login_run, login_options_site, args):
    login_run(*args)
    module = login_options_site / "sk_marked.py"
    original = module.read_text()
    try:
        module.write_text(original.replace("The marked test method", "The marked method, edited"))
        moment = time.time() - 30
        os.utime(module, (moment, moment))
        result = login_run(*args)
    finally:
        module.write_text(original)
        os.utime(module, (time.time() - 60, time.time() - 60))

    assert re.search(r"^  marked +The marked method, edited$", result.stdout, re.M), result


# Only the chosen method is imported ----------------------------------------------------------------


@pytest.mark.parametrize(("args", "module"), [
    (("--token",), "skytells.login.token"),
    (("--method", "token"), "skytells.login.token"),
    (("--method", "marked"), "sk_marked"),
    (("--method", "marked", "--marked-level", "3"), "sk_marked"),
    (("--method", "also-qr", "--qr"), "sk_also_qr"),
])
def test_running_a_method_imports_no_other_method(login_run, args, module):
    result = login_run("login", *args, input="")

    assert result.exit_code in (2, 4), result  # no token on stdin, or the test method's refusal
    assert login_run.methods_imported() == {module}
    assert "warning:" not in result.stderr  # the broken methods were never met


def test_token_login_imports_no_other_method(login_run, skytells_sandbox):
    login_run.cli.env["SKYTELLS_API_URL"] = skytells_sandbox.url
    token = skytells_sandbox.issue_token()

    result = login_run("login", "--token", input=token + "\n")

    assert result.exit_code == 0, result
    assert login_run.methods_imported() == {"skytells.login.token"}
    assert login_run.cli.credentials()["token"] == token


@pytest.mark.parametrize(("name", "shown", "hidden"), [
    ("marked", ["--marked-level N"], [*DEVICE_FLAGS, "--qr"]),
    ("also-qr", ["--qr"], ["--no-browser", "--issuer", "--client-id", "--marked-level"]),
    ("token", ["It has no options of its own."], [*DEVICE_FLAGS, "--marked-level"]),
    ("device", list(DEVICE_FLAGS), ["--marked-level"]),
])
@pytest.mark.parametrize("form", ["login --method NAME --help", "login --help --method NAME",
                                  "help login --method NAME", "login --method=NAME -h"])
def test_method_help_shows_that_method_options_only(login_run, name, shown, hidden, form):
    login_run("login", "--help")  # the descriptions are cached from now on

    result = login_run(*form.replace("NAME", name).split())

    assert result.exit_code == 0, result
    assert f"options of the {name!r} login method" in result.stdout
    for flag in shown:
        assert flag in result.stdout
    options = result.stdout.split("login methods:")[0]
    for flag in hidden:
        assert flag not in options
    own = METHODS[name][0] if name in METHODS else f"skytells.login.{name}"
    assert login_run.methods_imported() == {own, *CLASH_MODULES}  # the broken ones are listed, so imported


def test_token_help_is_the_token_method_help(login_run):
    assert login_run("login", "--token", "--help").stdout == login_run("login", "--method", "token", "--help").stdout


# Two methods may share a flag; only the chosen one's apply -------------------------------------------


def test_a_flag_of_the_device_method_also_declared_by_another_method_is_that_method_own(login_run):
    result = login_run("login", "--method", "also-qr", "--qr")

    assert result.exit_code == 4, result
    assert error_lines(result.stderr)[-1] == "error: also-qr got qr=True"


def test_plugins_lists_a_method_sharing_a_device_flag_as_loaded(login_run):
    result = login_run("plugins", "--group", "authenticators", "-f", "json")

    rows = {row["Name"]: row for row in json.loads(result.stdout)}
    assert rows["also-qr"]["State"] == "loaded"
    assert rows["device"]["State"] == "loaded"


# A method option equal to a flag of skytells login is a broken method -----------------------------------


def clash_problem(flag: str) -> str:
    return f"its option {flag} clashes with an option of skytells login itself"


@pytest.mark.parametrize("name", sorted(CLASHING))
def test_choosing_a_clashing_method_is_a_clear_error(login_run, name):
    flag = CLASHING[name]

    result = login_run("login", "--method", name)

    assert result.exit_code == 1, result
    assert error_lines(result.stderr) == [
        f"error: The login method {name!r} from skytells-{name} 1.0 could not be loaded: {clash_problem(flag)}. "
        f"Remove it with: pip uninstall skytells-{name}"]
    assert "Traceback" not in result.stderr
    assert login_run.cli.credentials() == {}


@pytest.mark.parametrize("name", sorted(CLASHING))
def test_help_of_a_clashing_method_is_the_same_error(login_run, name):
    result = login_run("login", "--method", name, "--help")

    assert result.exit_code == 1, result
    assert clash_problem(CLASHING[name]) in error_lines(result.stderr)[-1]


def test_login_help_and_plugins_show_every_clashing_method_as_broken(login_run):
    helped = login_run("login", "--help")
    listed = login_run("plugins", "--group", "authenticators", "-f", "json")

    assert helped.exit_code == 0 and listed.exit_code == 0
    rows = {row["Name"]: row for row in json.loads(listed.stdout)}
    for name, flag in CLASHING.items():
        assert re.search(rf"^  {name} +\(broken: {re.escape(clash_problem(flag))}\)$", unwrapped(helped.stdout),
                         re.M)
        warned = [line for line in helped.stderr.splitlines() if f"'{name}'" in line]
        assert len(warned) == 1 and warned[0].endswith(f"Remove it with: pip uninstall skytells-{name}")
        assert rows[name]["State"] == f"failed: {clash_problem(flag)}"


# An option of another method is a usage error naming its method ------------------------------------


@pytest.mark.parametrize("flag", sorted(DEVICE_FLAGS))
@pytest.mark.parametrize("choice", [("--token",), ("--method", "token"), ("--method", "marked")],
                         ids=["--token", "--method token", "--method marked"])
@pytest.mark.parametrize("joined", [False, True], ids=["separate", "joined-value"])
def test_a_device_option_with_another_method_is_a_usage_error_naming_device(login_run, flag, choice, joined):
    value = DEVICE_FLAGS[flag]
    words = [f"{flag}={value[0]}"] if joined and value else [flag, *value]

    result = login_run("login", *choice, *words, input="")

    method = "token" if choice == ("--token",) else choice[1]
    # The browser and workload methods share the standard-server options with the device method, browser
    # --no-browser too.
    owners = {"--qr": "'device' and 'also-qr' login methods",
              "--issuer": "'device', 'browser' and 'workload' login methods",
              "--client-id": "'device', 'browser' and 'workload' login methods",
              "--no-browser": "'device' and 'browser' login methods"}.get(flag, "'device' login method")
    assert result.exit_code == 2, result
    assert error_lines(result.stderr)[-1].endswith(f"error: {flag} is an option of the {owners}, not of {method!r}")
    assert login_run.cli.credentials() == {}


@pytest.mark.parametrize("choice", [("--token",), ("--method", "also-qr"), ()], ids=["token", "also-qr", "device"])
def test_an_option_of_a_third_party_method_names_that_method(login_run, choice):
    result = login_run("login", *choice, "--marked-level", "2", input="")

    assert result.exit_code == 2, result
    assert "--marked-level is an option of the 'marked' login method" in error_lines(result.stderr)[-1]


def test_an_option_no_method_declares_is_still_unrecognized(login_run):
    result = login_run("login", "--token", "--no-such-option", input="")

    assert result.exit_code == 2, result
    assert error_lines(result.stderr)[-1].endswith("error: unrecognized arguments: --no-such-option")


@pytest.mark.parametrize("issuer", ["https://issuer.example", "not a url", "http://user:Pa55@127.0.0.1:1"])
def test_skytells_issuer_only_picks_the_device_server_and_never_stops_token_login(login_run, skytells_sandbox,
                                                                                issuer):
    login_run.cli.env.update(SKYTELLS_API_URL=skytells_sandbox.url, SKYTELLS_ISSUER=issuer)
    token = skytells_sandbox.issue_token()

    result = login_run("login", "--token", input=token + "\n")

    assert result.exit_code == 0, result
    assert "issuer" not in json.dumps(login_run.cli.credentials())
    assert "Pa55" not in result.output
