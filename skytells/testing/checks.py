"""Checks shared by the conformance classes."""

from __future__ import annotations

from typing import Any

from skytells.extensions import plugins


def assert_declared(cls: Any) -> None:
    """A plugin class declares a one-word name, a one-line description and a supported interface version."""
    assert isinstance(cls.name, str) and cls.name and not any(c.isspace() for c in cls.name)
    assert isinstance(cls.description, str) and cls.description.strip()
    assert "\n" not in cls.description.strip(), "description must be one line"
    assert getattr(cls, "api_version", 1) in plugins.SUPPORTED_API_VERSIONS


def exception_texts(error: BaseException | None) -> list[str]:
    """str, repr and args of ``error`` and of every exception it was raised from or during."""
    texts: list[str] = []
    while error is not None:
        texts.extend([str(error), repr(error), *map(str, getattr(error, "args", ()))])
        error = error.__cause__ or error.__context__
    return texts
