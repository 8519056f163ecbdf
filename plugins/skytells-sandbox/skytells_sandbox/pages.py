"""HTML of the device verification page. Every value from outside goes through ``escape``."""

from __future__ import annotations

from html import escape

from skytells_sandbox.config import SIGNED_IN_USER

SCOPE_LABELS = {
    "inference": "Run models and predictions",
    "projects.read": "View your projects",
    "projects.write": "Create and change projects",
    "deployments.read": "View deployments",
    "deployments.write": "Create and change deployments",
    "keys.read": "View API keys",
    "keys.write": "Create and revoke API keys",
    "account.read": "View account details",
    "offline_access": "Stay signed in (refresh tokens)",
    "openid": "Know who you are (name and e-mail)",
}

_STYLE = """
:root { color-scheme: light; --ink: #1d2330; --muted: #5d6575; --line: #dfe3ea;
  --accent: #3b5bdb; --danger: #c92a2a; --ok: #2b8a3e; }
* { box-sizing: border-box; }
body { margin: 0; font: 16px/1.5 system-ui, -apple-system, "Segoe UI", sans-serif;
  color: var(--ink); background: #f4f6fa; }
header { display: flex; flex-wrap: wrap; justify-content: space-between; align-items: center;
  gap: 4px 16px; padding: 12px 24px; background: #fff; border-bottom: 1px solid var(--line); }
header .brand-line { display: inline-flex; align-items: center; gap: 8px; white-space: nowrap; }
header .brand { font-weight: 700; }
header .badge { flex-shrink: 0; padding: 2px 8px; border-radius: 999px;
  font-size: 12px; font-weight: 600; color: #8a5a00; background: #fff3bf; }
header .user { color: var(--muted); font-size: 14px; white-space: nowrap; }
main { max-width: 460px; margin: 48px auto; padding: 32px; background: #fff;
  border: 1px solid var(--line); border-radius: 12px; overflow-wrap: anywhere; }
h1 { margin: 0 0 8px; font-size: 22px; }
p { margin: 8px 0; color: var(--muted); }
label { display: block; margin: 20px 0 6px; font-weight: 600; }
input[type=text] { width: 100%; padding: 10px 12px;
  font: 600 22px/1.2 ui-monospace, monospace; letter-spacing: 2px; text-transform: uppercase;
  border: 1px solid var(--line); border-radius: 8px; }
.code { font: 600 20px ui-monospace, monospace; letter-spacing: 2px; color: var(--ink); }
.client { color: var(--ink); font-weight: 600; }
ul.scopes { margin: 16px 0; padding: 0; list-style: none; border: 1px solid var(--line);
  border-radius: 8px; }
ul.scopes li { padding: 8px 12px; border-top: 1px solid var(--line); }
ul.scopes li:first-child { border-top: 0; }
ul.scopes code { font-size: 13px; color: var(--muted); }
.actions { display: flex; gap: 12px; margin-top: 24px; }
button { flex: 1; padding: 10px 16px; font: 600 15px system-ui, sans-serif; border-radius: 8px;
  border: 1px solid var(--accent); background: var(--accent); color: #fff; cursor: pointer; }
button.secondary { background: #fff; color: var(--danger); border-color: var(--danger); }
.error { margin-top: 16px; padding: 10px 12px; border-radius: 8px; color: var(--danger);
  background: #fff5f5; border: 1px solid #ffc9c9; }
.result-ok h1 { color: var(--ok); }
.result-error h1 { color: var(--danger); }
a { color: var(--accent); }
/* Phones: the card keeps a margin from the screen edges instead of touching them. */
@media (max-width: 520px) {
  header { padding: 10px 16px; }
  main { margin: 16px 12px; padding: 24px 20px; }
  h1 { font-size: 20px; }
}
"""


def _layout(title: str, content: str, css_class: str = "") -> str:
    class_attr = f' class="{escape(css_class)}"' if css_class else ""
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{escape(title)} · Skytells sandbox</title>\n"
        f"<style>{_STYLE}</style>\n</head>\n<body>\n"
        '<header><span class="brand-line"><span class="brand">Skytells</span>'
        '<span class="badge">sandbox</span></span>'
        f'<span class="user">Signed in as {escape(SIGNED_IN_USER)}</span></header>\n'
        f"<main{class_attr}>\n{content}\n</main>\n</body>\n</html>\n"
    )


def entry_page(code: str = "", error: str | None = None) -> str:
    """The form where a person types the code shown in their terminal."""
    error_html = f'<p class="error" role="alert">{escape(error)}</p>' if error else ""
    content = f"""<h1>Connect a device</h1>
<p>Enter the code shown in your terminal to continue.</p>
<form method="post" action="/device">
<label for="code">Device code</label>
<input type="text" id="code" name="code" value="{escape(code)}" placeholder="ABCD-1234"
 autocomplete="off" autocapitalize="characters" spellcheck="false" maxlength="16"
 required autofocus>
<input type="hidden" name="action" value="continue">
{error_html}
<div class="actions"><button type="submit">Continue</button></div>
</form>"""
    return _layout("Connect a device", content)


def confirm_page(user_code: str, client_name: str, scopes: tuple[str, ...], form_token: str) -> str:
    """The view where a person approves or denies one device request."""
    items = "\n".join(
        f"<li>{escape(SCOPE_LABELS.get(scope, scope))} <code>{escape(scope)}</code></li>"
        for scope in scopes
    )
    content = f"""<h1>Authorize access?</h1>
<p><span class="client">{escape(client_name)}</span>
 is requesting access to your Skytells account.</p>
<p>Make sure this code matches the one in your terminal:
 <span class="code">{escape(user_code)}</span></p>
<p>It will be able to:</p>
<ul class="scopes">
{items}
</ul>
<form method="post" action="/device">
<input type="hidden" name="code" value="{escape(user_code)}">
<input type="hidden" name="form_token" value="{escape(form_token)}">
<div class="actions">
<button type="submit" name="action" value="deny" class="secondary">Deny</button>
<button type="submit" name="action" value="approve">Approve</button>
</div>
</form>"""
    return _layout("Authorize access", content)


def result_page(title: str, message: str, ok: bool) -> str:
    """A final page telling the person what happened."""
    content = (
        f"<h1>{escape(title)}</h1>\n<p>{escape(message)}</p>\n"
        '<p><a href="/device">Enter another code</a></p>'
    )
    return _layout(title, content, "result-ok" if ok else "result-error")


def console_settings_page(title: str, what: str, admin_path: str) -> str:
    """The stand-in for a console settings page that the CLI's hints point to (tokens, API keys)."""
    content = (
        f"<h1>{escape(title)}</h1>\n"
        f"<p>On the real console this page creates and revokes {escape(what)}. "
        f"This sandbox issues them for tests: <code>POST {escape(admin_path)}</code> "
        "returns a new one.</p>"
    )
    return _layout(title, content)
