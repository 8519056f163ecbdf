"""The package's layers point one way: no module imports from a layer above its own.

Every module of ``skytells`` has a layer in ``LAYERS``; a new module without
one fails here, so the table stays the truth. Every ``import`` counts, lazy
ones inside functions and those under ``TYPE_CHECKING`` too: each is a
dependency on the module it names.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "skytells"

#: Lowest first. A module may import from its own layer and the ones below it, never from one above.
LAYERS: dict[str, tuple[str, ...]] = {
    # Rules, error types and the credential model: no network, no knowledge of Skytells' servers.
    "foundation": ("cli_version", "exitcodes", "errors", "sanitize", "masking", "values", "redaction", "streams",
                   "safe_files", "credentials"),
    # One way to read a service URL and one HTTP client.
    "transport": ("urls", "http"),
    # Standard OAuth 2.0: device grant (RFC 8628), discovery (RFC 8414), refresh, revocation (RFC 7009), userinfo.
    "protocol": ("protocol", "protocol.device_grant", "protocol.device_poller", "protocol.oauth"),
    # Where the CLI talks to and keeps its files (environment, config.json): Skytells' defaults start here.
    "configuration": ("settings",),
    # The Skytells service: the console's endpoints and dialect, the inference API, its scopes.
    "service": ("console_api", "inference_api", "scopes"),
    # Keeping credentials: the stores and which stored token applies.
    "storage": ("stores", "stores.base", "stores.document", "stores.file", "tokens"),
    # The person's side: commands, login methods, plugins, what commands share, output.
    "presentation": ("ui", "browser", "display", "argument_errors", "command_base", "command_manager", "help",
                     "discovery", "plugins", "credential_service", "context", "session", "doctor",
                     "groups", "helptext", "completion", "json_errors",
                     "auth", "auth.base", "auth.device", "auth.token", "auth.registry",
                     "commands", "commands.api_key", "commands.auth", "commands.doctor", "commands.link",
                     "commands.login", "commands.logout", "commands.plugin_list", "commands.whoami"),
    # Where a run begins: nothing below may import the application.
    "entry": ("app", "main", "__main__"),
    # Helpers for plugin authors' tests: they drive everything.
    "testing": ("testing", "testing.authenticators", "testing.background", "testing.canary", "testing.checks",
                "testing.cli", "testing.environment", "testing.pytest_plugin", "testing.results",
                "testing.sandbox", "testing.store_worker", "testing.stores", "testing.terminal"),
}
RANK = {module: rank for rank, modules in enumerate(LAYERS.values()) for module in modules}
LAYER_OF = {module: layer for layer, modules in LAYERS.items() for module in modules}


def package_modules() -> dict[str, Path]:
    """Every module of the package, by its name without the ``skytells.`` prefix."""
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        found[".".join(parts)] = path
    return found


MODULES = package_modules()


def imported_modules(path: Path) -> Iterator[tuple[int, str]]:
    """(line, module inside the package) for every import in ``path``, wherever it stands."""
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            assert node.level == 0, f"{path}:{node.lineno}: a relative import; the table reads absolute ones"
            base = node.module or ""
            # ``from skytells import settings`` imports the module skytells.settings.
            names = [f"{base}.{alias.name}" if f"{base}.{alias.name}".removeprefix("skytells.") in MODULES
                     else base for alias in node.names]
        else:
            continue
        for name in names:
            if name.startswith("skytells."):
                yield node.lineno, name.removeprefix("skytells.")


def owner(name: str) -> str:
    """The module of the table an imported name belongs to (``protocol.oauth.X`` -> ``protocol.oauth``)."""
    while name not in RANK and "." in name:
        name = name.rsplit(".", 1)[0]
    return name


def test_every_module_has_exactly_one_layer() -> None:
    listed = [module for modules in LAYERS.values() for module in modules]
    assert len(listed) == len(set(listed)), "a module is in two layers"
    assert sorted(set(MODULES) - set(listed)) == [], "modules without a layer: add them to LAYERS"
    assert sorted(set(listed) - set(MODULES)) == [], "LAYERS names modules that do not exist"


def test_the_package_stays_a_namespace_portion() -> None:
    assert not (PACKAGE / "__init__.py").exists()  # the official SDK owns skytells/__init__.py


@pytest.mark.parametrize("module", sorted(MODULES))
def test_module_imports_nothing_from_a_higher_layer(module: str) -> None:
    if module not in RANK:
        pytest.fail(f"skytells.{module} has no layer in LAYERS")
    upward = []
    for line, name in imported_modules(MODULES[module]):
        target = owner(name)
        assert target in RANK, f"skytells/{module}:{line} imports skytells.{name}, which is not a module"
        if RANK[target] > RANK[module]:
            upward.append(f"line {line}: skytells.{name} ({LAYER_OF[target]})")
    assert upward == [], f"skytells.{module} ({LAYER_OF[module]}) imports from a higher layer: {upward}"


@pytest.mark.parametrize(("source", "expected"), [
    ("from skytells import settings\n", ["settings"]),
    ("from skytells.http import HttpClient\n", ["http"]),
    ("import skytells.protocol.oauth\n", ["protocol.oauth"]),
    ("def f():\n    from skytells.console_api import ConsoleClient\n", ["console_api"]),
    ("if TYPE_CHECKING:\n    from skytells.session import open_store\n", ["session"]),
    ("import json\nfrom cliff.app import App\n", []),
])
def test_the_import_reader_sees_every_form(tmp_path: Path, source: str, expected: list[str]) -> None:
    path = tmp_path / "module.py"
    path.write_text(source)
    assert [owner(name) for _line, name in imported_modules(path)] == expected


def test_an_upward_import_is_caught(tmp_path: Path) -> None:
    path = tmp_path / "module.py"
    path.write_text("def f():\n    from skytells.app import SkytellsApp\n")
    (name,) = [owner(name) for _line, name in imported_modules(path)]
    assert RANK[name] > RANK["commands.auth"]
