"""A stand-in browser for ``BROWSER``: ``python3 fake_browser.py PLAN %s``.

It returns at once, as a desktop browser's launcher does, and goes on in a
child process: it follows the authorization URL with urllib (no proxy),
approves or denies on the consent page when the plan says so, may change the
redirect back (``state``, ``iss``), may knock on the listener first (strays),
then calls the callback and appends what it saw to the plan's log as JSON
lines. The plan is a JSON file:

``{"log": PATH, "mode": "approve"|"deny"|"consent"|"nothing"|"error",
"state": "keep"|"wrong", "iss": "keep"|"drop"|"other", "strays": bool,
"twice": bool}``
"""

from __future__ import annotations

import json
import os
import sys
import urllib.error
import urllib.parse
import urllib.request
from html.parser import HTMLParser
from typing import Any


class NoRedirects(urllib.request.HTTPRedirectHandler):
    """Hand a redirect back instead of following it: the plan may change it first."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}), NoRedirects)


class Inputs(HTMLParser):
    """The hidden inputs of the consent form."""

    def __init__(self) -> None:
        super().__init__()
        self.values: dict[str, str] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "input" and found.get("type") == "hidden" and found.get("name"):
            self.values[str(found["name"])] = found.get("value") or ""


def fetch(url: str, data: bytes | None = None) -> tuple[int, dict[str, str], str]:
    """(status, headers, body) of one request, redirects and errors included."""
    try:
        assert url.startswith("http://127.0.0.1:"), url  # the sandbox and the listener only
        with OPENER.open(urllib.request.Request(url, data=data), timeout=10) as answer:  # noqa: S310
            return answer.status, dict(answer.headers), answer.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read().decode("utf-8", "replace")


def with_query(url: str, change: dict[str, str | None]) -> str:
    """``url`` with its query parameters changed (None removes one)."""
    parts = urllib.parse.urlsplit(url)
    query = dict(urllib.parse.parse_qsl(parts.query, keep_blank_values=True))
    for name, value in change.items():
        if value is None:
            query.pop(name, None)
        else:
            query[name] = value
    return urllib.parse.urlunsplit(parts._replace(query=urllib.parse.urlencode(query)))


def browse(plan: dict[str, Any], url: str) -> dict[str, Any]:
    """What the browser does with ``url``; returns what it saw."""
    seen: dict[str, Any] = {"opened": url}
    if plan.get("mode") == "nothing":
        return seen
    query = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(url).query))
    redirect_uri = query["redirect_uri"]
    if plan.get("mode") == "error":
        issuer = urllib.parse.urlunsplit(urllib.parse.urlsplit(url)._replace(path="", query=""))
        back = with_query(redirect_uri, {"error": "server_error", "state": query["state"], "iss": issuer})
    else:
        status, headers, body = fetch(url)
        seen["authorize_status"] = status
        if status == 200:  # the consent page: press a button
            inputs = Inputs()
            inputs.feed(body)
            action = "deny" if plan.get("mode") == "deny" else "approve"
            form = urllib.parse.urlencode({**inputs.values, "action": action}).encode()
            status, headers, body = fetch(url.split("?")[0], form)
        back = headers.get("Location", "")
        seen["redirect_status"] = status
    iss = {"keep": urllib.parse.parse_qs(urllib.parse.urlsplit(back).query).get("iss", [None])[0],
           "drop": None, "other": "https://elsewhere.example"}[plan.get("iss", "keep")]
    change: dict[str, str | None] = {"iss": iss}
    if plan.get("state") == "wrong":
        change["state"] = "not-the-state-that-was-sent"
    back = with_query(back, change)
    if plan.get("strays"):
        base = redirect_uri.rsplit("/", 1)[0]
        seen["strays"] = [fetch(base + path)[0] for path in ("/favicon.ico", "/", "/callback/x")]
        seen["strays"].append(fetch(base + "/callback", b"state=x")[0])
    status, _headers, body = fetch(back)
    seen["callback_status"] = status
    seen["page"] = body
    if plan.get("twice"):
        try:
            seen["second_callback_status"] = fetch(back)[0]
        except OSError as error:
            seen["second_callback_status"] = type(error).__name__
    return seen


def main() -> None:
    plan_path, url = sys.argv[1], sys.argv[2]
    if os.fork():  # the launcher returns at once; the "browser" goes on
        return
    os.setsid()
    quiet = os.open(os.devnull, os.O_RDWR)
    for descriptor in (0, 1, 2):  # let go of the CLI's pipes: its run ends when the CLI does
        os.dup2(quiet, descriptor)
    with open(plan_path, encoding="utf-8") as handle:
        plan = json.load(handle)
    try:
        seen = browse(plan, url)
    except Exception as error:  # reported to the test, never to the CLI's terminal
        seen = {"opened": url, "failure": f"{type(error).__name__}: {error}"}
    with open(plan["log"], "a", encoding="utf-8") as log:
        log.write(json.dumps(seen) + "\n")
    os._exit(0)


if __name__ == "__main__":
    main()
