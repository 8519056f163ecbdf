"""Throwaway plugin distributions, made during the test run (fixture names start with ``plugin_system_``).

Each distribution is a module plus a ``<name>-<version>.dist-info`` directory
(METADATA, entry_points.txt, top_level.txt) in one temporary directory that
the CLI under test gets on PYTHONPATH: a real installed distribution as far as
importlib.metadata is concerned.
"""

from __future__ import annotations

import os
import textwrap
from collections.abc import Callable, Mapping
from pathlib import Path

import pytest

from skytells.testing import CliRunner

COMMANDS = "skytells.commands"
AUTHENTICATORS = "skytells.authenticators"
STORES = "skytells.credential_stores"

ENV_TOKEN_AUTH = '''
import os

from skytells.login.base import Authenticator, LoginOption
from skytells.login.token import check_format, check_with_console
from skytells.credentials.model import Credential


class EnvTokenAuthenticator(Authenticator):
    """Reads the token from an environment variable."""

    name = "env-token"
    description = "Read the personal access token from $DEMO_TOKEN"
    options = (LoginOption("--demo-variable", "Read the token from this variable instead.", metavar="NAME"),)

    def authenticate(self, login):
        token = os.environ.get(login.options.get("demo_variable") or "DEMO_TOKEN", "").strip()
        check_format(token)
        check_with_console(login, token)
        return Credential(token=token, method=self.name, host=login.server)
'''

HELLO_COMMAND = '''
from cliff.command import Command


class Hello(Command):
    """Say hello from a plugin"""

    def take_action(self, parsed_args):
        self.app.stdout.write("hello from a plugin\\n")
        return 0
'''


def duplicate_auth(label: str) -> str:
    return f'''
from skytells.login.base import Authenticator
from skytells.errors import AuthError


class Duplicate(Authenticator):
    name = "dup"
    description = "The {label} duplicate"

    def authenticate(self, login):
        raise AuthError("The {label} duplicate was used.")
'''


def store_source(body: str) -> str:
    return f'''
from skytells.credentials.stores.base import CredentialStore
from skytells.credentials.stores.file import FileStore


class Store(FileStore):
{textwrap.indent(textwrap.dedent(body), "    ")}
'''


#: name -> (modules, entry points by group)
DISTRIBUTIONS: dict[str, tuple[dict[str, str], dict[str, dict[str, str]]]] = {
    "skytells-hello": ({"sk_hello": HELLO_COMMAND}, {COMMANDS: {"hello": "sk_hello:Hello"}}),
    "skytells-env-auth": ({"sk_env_auth": ENV_TOKEN_AUTH},
                          {AUTHENTICATORS: {"env-token": "sk_env_auth:EnvTokenAuthenticator"}}),
    "skytells-broken-import": ({"sk_broken_import": "import sk_missing_dependency_xyz  # noqa\n"},
                               {AUTHENTICATORS: {"broken-import": "sk_broken_import:Auth"}}),
    "skytells-wrong-class": ({"sk_wrong_class": "class NotAnAuthenticator:\n    pass\n"},
                             {AUTHENTICATORS: {"wrong-class": "sk_wrong_class:NotAnAuthenticator"}}),
    "skytells-raises": ({"sk_raises": "raise RuntimeError('plugin exploded while loading')\n"},
                        {AUTHENTICATORS: {"raises": "sk_raises:Auth"}}),
    "skytells-broken-command": ({"sk_broken_command": "from sk_gone import Thing  # noqa\n"},
                                {COMMANDS: {"broken-cmd": "sk_broken_command:Command"}}),
    "skytells-broken-store": ({"sk_broken_store": "raise ValueError('store configuration is corrupt')\n"},
                              {STORES: {"broken-store": "sk_broken_store:Store"}}),
    "skytells-hsm-store": ({"sk_hsm_store": store_source('''
        name = "hsm"
        description = "Secrets on a hardware token"

        @classmethod
        def unavailable_reason(cls):
            return "no hardware token is plugged in"
        ''')}, {STORES: {"hsm": "sk_hsm_store:Store"}}),
    "skytells-future-store": ({"sk_future_store": store_source('''
        name = "future"
        description = "Written for a later skytells"
        api_version = 99
        ''')}, {STORES: {"future": "sk_future_store:Store"}}),
    "skytells-dup-beta": ({"sk_dup_beta": duplicate_auth("beta")}, {AUTHENTICATORS: {"dup": "sk_dup_beta:Duplicate"}}),
    "skytells-dup-alpha": ({"sk_dup_alpha": duplicate_auth("alpha")},
                           {AUTHENTICATORS: {"dup": "sk_dup_alpha:Duplicate"}}),
    "skytells-token-clash": ({"sk_token_clash": duplicate_auth("clashing")},
                             {AUTHENTICATORS: {"token": "sk_token_clash:Duplicate"}}),
}


def write_distribution(site: Path, name: str, modules: Mapping[str, str],
                       entry_points: Mapping[str, Mapping[str, str]], version: str = "1.0") -> None:
    """Install ``modules`` and a dist-info for ``name`` into ``site`` (a directory for PYTHONPATH)."""
    for module, source in modules.items():
        (site / f"{module}.py").write_text(textwrap.dedent(source), encoding="utf-8")
    info = site / f"{name.replace('-', '_')}-{version}.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n"
                                   f"Summary: Throwaway plugin {name}\n", encoding="utf-8")
    sections = [f"[{group}]\n" + "".join(f"{key} = {value}\n" for key, value in targets.items())
                for group, targets in entry_points.items()]
    (info / "entry_points.txt").write_text("\n".join(sections), encoding="utf-8")
    (info / "top_level.txt").write_text("".join(f"{module}\n" for module in modules), encoding="utf-8")
    (info / "INSTALLER").write_text("test\n", encoding="utf-8")


@pytest.fixture(scope="module")
def plugin_system_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A directory holding every throwaway distribution of DISTRIBUTIONS."""
    site = tmp_path_factory.mktemp("throwaway-site")
    for name, (modules, entry_points) in DISTRIBUTIONS.items():
        write_distribution(site, name, modules, entry_points)
    return site


@pytest.fixture
def plugin_system_cli(skytells_cli: CliRunner, plugin_system_site: Path) -> CliRunner:
    """A CliRunner whose ``skytells`` sees the throwaway distributions."""
    inherited = os.environ.get("PYTHONPATH")
    skytells_cli.env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(plugin_system_site), inherited]))
    return skytells_cli


@pytest.fixture(scope="module")
def plugin_system_writer() -> Callable[..., None]:
    """:func:`write_distribution`, for test modules that build their own site."""
    return write_distribution
