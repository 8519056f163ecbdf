"""Rule 6: hints point at the console in use, and the page they name exists there."""

from __future__ import annotations

import re
import urllib.request

PAGE = re.compile(r"(https?://\S+/settings/(?:tokens|api-keys))")


def _pages(text: str) -> list[str]:
    return [url.rstrip(".,)") for url in PAGE.findall(text)]


def _served(url: str) -> str:
    with urllib.request.urlopen(url, timeout=10) as answer:  # noqa: S310  (the sandbox on 127.0.0.1)
        assert answer.status == 200
        return answer.read().decode()


def test_every_hint_names_a_page_of_the_sandbox_in_use(e2e):
    sandbox = e2e.start_sandbox()
    revoked = e2e.issue_token()
    sandbox.revoke(revoked)
    runs = {
        "an invalid token": e2e.run("login", "--token", input=revoked + "\n"),
        "a malformed token": e2e.run("login", "--token", input="sk_pat_tooshort\n"),
        "a refused API key": e2e.run("api-key", "set", input=e2e.secret("sbx_key_" + "0" * 40) + "\n"),
    }
    good = e2e.issue_token()
    assert e2e.run("login", "--token", input=good + "\n").code == 0
    runs["logout"] = e2e.run("logout", "--force")
    for what, run in runs.items():
        pages = _pages(run.stderr)
        assert pages, f"{what}: no page named in {run.stderr!r}"
        for url in pages:
            assert url.startswith(sandbox.url + "/settings/"), (what, url)
            assert "Skytells sandbox" in _served(url)


def test_without_a_configured_server_hints_name_the_public_console(e2e):
    result = e2e.run("login", "--token", input="sk_pat_tooshort\n", env={"SKYTELLS_API_URL": None})
    assert result.code == 2
    assert _pages(result.stderr) == ["https://console.skytells.ai/settings/tokens"]
