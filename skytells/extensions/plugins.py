"""Loading and checking plugins, and the rules that decide which one is used.

Which entry points exist, and from which distribution, is
``skytells.extensions.discovery``'s answer; only the plugin that is used is imported.

The rules a user can rely on (docs/plugins.md):

* A plugin that cannot be loaded (its import fails, it raises while loading,
  or it is not the kind of object its group needs) never stops the tool. When
  a run meets it, the run warns once, naming the distribution and how to
  remove it, and goes on without it; the traceback is shown with ``--debug``
  only. Choosing it explicitly (``--method``, the store setting, its command
  name) is an error with a non-zero exit status.
* Two plugins claiming the same name in one group: the built-in one (from
  ``skytells-cli``) wins; between third-party plugins, the one whose
  distribution name sorts first wins. Every run that lists the group warns
  once, naming all of them.
"""

from __future__ import annotations

import argparse
import inspect
import logging
from collections.abc import Sequence
from importlib.metadata import EntryPoint
from typing import Any

from cliff.command import Command

from skytells.errors import PluginError, UsageError
from skytells.extensions import discovery
from skytells.extensions.discovery import COMMANDS, GROUPS
from skytells.safety.sanitize import terminal_safe

LOG = logging.getLogger(__name__)

#: The version of the authenticator and credential-store interfaces this release implements.
API_VERSION = 2
#: Interface versions plugins may declare; a deprecated one still works but warns once per run.
SUPPORTED_API_VERSIONS = frozenset({1, 2})
DEPRECATED_API_VERSIONS: frozenset[int] = frozenset()

BUILTIN_DISTRIBUTION = "skytells-cli"
BUILTIN_PACKAGE = "skytells"

_warned: set[tuple[str, ...]] = set()


def _kind(group: str) -> str:
    return GROUPS[group].kind if group in GROUPS else "plugin"


# -- which plugin is used ----------------------------------------------------


def is_builtin(ep: EntryPoint) -> bool:
    """True for the entry points of skytells-cli itself (they name modules of the ``skytells`` package)."""
    module = ep.value.split(":", 1)[0].strip()
    return module == BUILTIN_PACKAGE or module.startswith(BUILTIN_PACKAGE + ".")


def _rank(ep: EntryPoint) -> tuple[int, str, str]:
    if is_builtin(ep):
        return (0, "", ep.value)
    dist = discovery.distribution_of(ep)
    return (1, dist.key if dist else "\uffff", ep.value)


def _label(ep: EntryPoint) -> str:
    dist = discovery.distribution_of(ep)
    return f"{dist.name} {dist.version}" if dist else ep.value


def winner(candidates: list[EntryPoint]) -> EntryPoint:
    """Of several entry points with one name: the built-in, else the first distribution by name."""
    return candidates[0] if len(candidates) == 1 else min(candidates, key=_rank)


def entry_points(group: str) -> list[EntryPoint]:
    """The entry points of ``group``, one per name (see the module's clash rule)."""
    by_name: dict[str, list[EntryPoint]] = {}
    for ep in discovery.entry_points(group):
        by_name.setdefault(ep.name, []).append(ep)
    chosen = []
    for name, candidates in by_name.items():
        keep = winner(candidates)
        if len(candidates) > 1:
            _warn_clash(group, name, keep, [ep for ep in candidates if ep is not keep])
        chosen.append(keep)
    return chosen


def _warn_clash(group: str, name: str, keep: EntryPoint, dropped: list[EntryPoint]) -> None:
    key = ("clash", group, name)
    if key in _warned:
        return
    _warned.add(key)
    if is_builtin(keep):
        removable = [dist.name for dist in map(discovery.distribution_of, dropped) if dist is not None]
        hint = f" Remove the plugin with: pip uninstall {' '.join(removable)}" if removable else ""
    else:
        kept = discovery.distribution_of(keep)
        hint = f" To use another, remove this one: pip uninstall {kept.name}" if kept else ""
    LOG.warning("Several plugins provide the %s %r: %s is used, %s ignored "
                "(a built-in wins, then the distribution whose name sorts first).%s",
                _kind(group), name, _label(keep), ", ".join(_label(ep) for ep in dropped), hint)


def find(group: str, name: str) -> EntryPoint:
    """The entry point called ``name`` in ``group``; UsageError listing the installed names if absent."""
    eps = entry_points(group)
    for ep in eps:
        if ep.name == name:
            return ep
    installed = ", ".join(sorted(ep.name for ep in eps)) or "none"
    raise UsageError(f"No {_kind(group)} named {terminal_safe(name, 60)!r} is installed "
                     f"(installed: {installed}).")


# -- loading and checking --------------------------------------------------


class BrokenPlugin(PluginError):
    """A plugin that cannot be loaded, or is not the kind of object its group needs."""

    def __init__(self, ep: EntryPoint, problem: str, *, hint: str | None = None) -> None:
        self.entry_point = ep
        #: What went wrong, without the plugin's name (one line).
        self.problem = problem
        dist = discovery.distribution_of(ep)
        origin = f"from {dist.name} {dist.version}" if dist else f"({ep.value})"
        if hint is None and is_builtin(ep):
            hint = f"It is part of {BUILTIN_DISTRIBUTION}: reinstall it with pip install --force-reinstall " \
                   f"{BUILTIN_DISTRIBUTION}"
        elif hint is None:
            hint = (f"Remove it with: pip uninstall {dist.name}" if dist
                    else "Reinstall or remove the package that provides it.")
        super().__init__(f"The {_kind(ep.group)} {ep.name!r} {origin} could not be loaded: {problem}.",
                         hint=hint)


def describe_error(error: BaseException) -> str:
    """``Type: message`` on one line, safe for a terminal."""
    text = str(error).strip()
    return terminal_safe(f"{type(error).__name__}: {text}" if text else type(error).__name__, 200)


def load(ep: EntryPoint) -> Any:
    """Import the object ``ep`` names and check it fits its group; BrokenPlugin otherwise."""
    try:
        loaded = ep.load()
    except (Exception, SystemExit) as error:  # a plugin must not end the run, even with sys.exit()
        LOG.debug("Loading %s (%s) failed", ep.name, ep.value, exc_info=True)
        raise BrokenPlugin(ep, describe_error(error)) from error
    problem, hint = _check(ep.group, loaded)
    if problem:
        raise BrokenPlugin(ep, problem, hint=hint)
    return loaded


def _check(group: str, loaded: Any) -> tuple[str | None, str | None]:
    """What is wrong with ``loaded`` as a plugin of ``group`` (and the fix), or (None, None)."""
    if group not in GROUPS:
        return None, None
    base = GROUPS[group].base_class()
    if not (isinstance(loaded, type) and issubclass(loaded, base)):
        shown = loaded.__name__ if isinstance(loaded, type) else type(loaded).__name__
        return f"it names {terminal_safe(shown, 60)}, which is not a {base.__module__}.{base.__name__} subclass", None
    if inspect.isabstract(loaded):
        missing = ", ".join(sorted(getattr(loaded, "__abstractmethods__", ())))
        return f"it does not implement {missing}", None
    if group == COMMANDS:
        return None, None
    if not isinstance(getattr(loaded, "description", None), str):
        return "it has no description (a one-line str class attribute)", None
    declaration_problem = getattr(base, "declaration_problem", None)  # the interface's own rules, if it has any
    problem = declaration_problem(loaded) if declaration_problem is not None else None
    if problem:
        return problem, None
    return _check_api_version(loaded)


def _check_api_version(cls: type) -> tuple[str | None, str | None]:
    version = getattr(cls, "api_version", 1)
    if not isinstance(version, int) or isinstance(version, bool):
        return f"its api_version {version!r} is not an integer", None
    if version > API_VERSION:
        return (f"it needs plugin interface version {version} and this skytells-cli implements {API_VERSION}",
                "Upgrade skytells-cli: pip install --upgrade skytells-cli")
    if version not in SUPPORTED_API_VERSIONS:
        return (f"it was written for plugin interface version {version}, which this skytells-cli no longer "
                "supports", "Upgrade the plugin, or remove it.")
    return None, None


def warn_deprecated(ep: EntryPoint, cls: type) -> None:
    """Warn once per run about a plugin that uses a deprecated interface version."""
    version = getattr(cls, "api_version", 1)
    key = ("deprecated", ep.group, ep.name)
    if version in DEPRECATED_API_VERSIONS and key not in _warned:
        _warned.add(key)
        LOG.warning("The %s %r (%s) uses plugin interface version %s, which a future skytells-cli will not "
                    "support. Upgrade the plugin.", _kind(ep.group), ep.name, _label(ep), version)


def unavailable_reason(ep: EntryPoint, cls: Any) -> str | None:
    """The plugin's own ``unavailable_reason()`` (one safe line), or None; BrokenPlugin if it raises."""
    try:
        reason = cls.unavailable_reason()
    except Exception as error:
        raise BrokenPlugin(ep, f"its unavailable_reason() raised {describe_error(error)}") from error
    return None if reason is None else terminal_safe(str(reason).strip(), 500)


def warn_broken(error: BrokenPlugin) -> None:
    """Warn once per run that a plugin was skipped; the traceback is added with ``--debug``."""
    ep = error.entry_point
    key = ("broken", ep.group, ep.name, ep.value)
    if key in _warned:
        return
    _warned.add(key)
    cause = error.__cause__  # its traceback reaches the console with --debug only (skytells.cli.app)
    exc_info = (type(cause), cause, cause.__traceback__) if cause is not None else None
    LOG.warning("%s; it is skipped. %s", error.message.rstrip("."), error.hint, exc_info=exc_info)


def choose(group: str, name: str, *, chosen_by: str | None = None) -> Any:
    """The usable plugin called ``name`` in ``group``, loaded and checked.

    Raises UsageError when none is installed, BrokenPlugin when it cannot be
    loaded, PluginError when it is unavailable here (with its reason).
    ``chosen_by`` (e.g. ``SKYTELLS_CREDENTIAL_STORE``) is named in the messages.
    """
    try:
        ep = find(group, name)
    except UsageError as error:
        if chosen_by:
            error.hint = f"It was chosen by {chosen_by}."
        raise
    cls = load(ep)
    warn_deprecated(ep, cls)
    reason = unavailable_reason(ep, cls)
    if reason:
        via = f" (chosen by {chosen_by})" if chosen_by else ""
        raise PluginError(f"The {_kind(group)} {name!r}{via} cannot be used here: {reason}")
    return cls


# -- commands ----------------------------------------------------------------


class CommandEntryPoint:
    """A command's entry point for cliff's command manager whose ``load`` never raises.

    A command that cannot be loaded becomes a stand-in whose description says
    so and whose run fails with the BrokenPlugin error (exit status 1), so a
    broken plugin command cannot stop ``skytells help`` or any other command.
    """

    def __init__(self, ep: EntryPoint) -> None:
        self.entry_point = ep
        self.name = ep.name
        self.value = ep.value
        self.group = ep.group

    def load(self) -> Any:
        """The command class, or the stand-in for a broken one (it has a ``plugin_error`` attribute)."""
        try:
            return load(self.entry_point)
        except BrokenPlugin as error:
            return broken_command(error)


class AnyArguments(argparse.ArgumentParser):
    """A parser that takes any command line, for a command that fails the same way whatever its arguments."""

    def parse_args(self, args: Sequence[str] | None = None,  # type: ignore[override]
                   namespace: argparse.Namespace | None = None) -> argparse.Namespace:
        return argparse.Namespace()


def broken_command(error: BrokenPlugin) -> type:
    """A cliff command that fails with ``error`` whatever its arguments."""

    class BrokenCommand(Command):
        plugin_error = error
        _description = f"(failed to load: {terminal_safe(error.problem, 70)})\n\n{error}"

        def get_parser(self, prog_name: str) -> argparse.ArgumentParser:
            # Whatever the arguments, running it reports why the command cannot run.
            return AnyArguments(prog=prog_name, description=self.get_description(), epilog=self.get_epilog())

        def take_action(self, parsed_args: argparse.Namespace) -> int:
            raise error

    return BrokenCommand
