"""The URL that is checked is the URL that is used (skytells/safety/urls.py).

Every service URL (``SKYTELLS_API_URL``, ``SKYTELLS_AI_API_URL``,
``--issuer``/``SKYTELLS_ISSUER``, each endpoint in a server's metadata, the
verification page the browser opens) is read once, by the parser requests
itself prepares requests with, into one value that both decides the
https-or-loopback rule and builds the request. Shown here:

- a property: for any text, either the rule refuses it, or the host the HTTP
  library would really connect to (a prepared request, through requests'
  own adapter) is the host that was checked, and plain http goes to loopback;
- a catalogue of hostile URLs (parser confusions, userinfo, numeric hosts,
  odd ports, IPv6 zone ids...) refused with exit 2, without a word of the
  password;
- the real ``skytells`` with such URLs in each setting, and in metadata:
  exit 2, no connection to a listening trap on 127.0.0.1, no password shown;
- plain http to loopback never travels through a proxy from the environment.
"""

from __future__ import annotations

import ipaddress
import json
import socket
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any
from unittest import mock
from urllib.parse import urlsplit

import pytest
import requests
from hypothesis import example, given, settings
from hypothesis import strategies as st
from reliability_support import UNSAFE_OUTPUT, HostileServer, World, fake_pat, json_reply
from requests.adapters import HTTPAdapter
from skytells_sandbox.server import Sandbox
from urllib3.util import parse_url

from skytells.errors import UsageError
from skytells.exitcodes import ExitCode
from skytells.net.http import HttpClient
from skytells.safety.urls import ServiceUrl, parse_service_url, without_userinfo
from skytells.terminal.browser import safe_to_open

PASSWORD = "hunter2-Pa55"
PROPERTY = settings(max_examples=400, deadline=None, database=None, derandomize=True)


# -- the catalogue ---------------------------------------------------------------------------------

HOSTILE = {
    # Backslashes: WHATWG-style parsers read them as '/', RFC 3986 parsers as part of the authority.
    "backslash before @": "http://127.0.0.1\\@evil.example",
    "backslash after evil host": "http://evil.example\\@127.0.0.1",
    "backslash with port": "http://127.0.0.1:8080\\@evil.example/",
    "backslashes as slashes": "https:\\\\evil.example",
    "backslash dot": "http://127.0.0.1\\.evil.example",
    # User names, passwords and '@' tricks.
    "user and password": f"http://alice:{PASSWORD}@127.0.0.1:8080",
    "user and password, https": f"https://alice:{PASSWORD}@console.skytells.ai",
    "password only": f"https://:{PASSWORD}@console.skytells.ai",
    "user only": f"https://{PASSWORD}@console.skytells.ai",
    "port then @": "http://127.0.0.1:80@evil.example",
    "loopback as user name": "http://127.0.0.1@evil.example",
    "evil as user name": "http://evil.example@127.0.0.1",
    "fragment then @": "http://127.0.0.1#@evil.example",
    "query then @": "http://127.0.0.1?@evil.example",
    "two @": f"http://a:{PASSWORD}@b@127.0.0.1",
    "percent-encoded @": "http://127.0.0.1%40evil.example",
    # Whitespace and control characters.
    "space before @": "http://127.0.0.1 @evil.example",
    "tab in host": "http://127.0.0.1\t.evil.example",
    "newline in host": "http://127.0.0.1\n.evil.example",
    "CR LF": "http://127.0.0.1\r\n@evil.example",
    "NUL in host": "http://127.0.0.1\x00.evil.example",
    "DEL": "http://127.0.0.1\x7f",
    "leading space": " http://evil.example",
    "escape sequence in path": "https://console.skytells.ai/\x1b[2J",
    # Characters that fold into others (IDNA, NFKC).
    "fullwidth letter": "https://\uff45vil.example",
    "fullwidth full stop": "http://127.0.0.1\uff0eevil.example",
    "ideographic full stop": "http://127.0.0.1\u3002evil.example",
    "circled letter": "http://\u24dbocalhost",
    "right-to-left override": "https://console.skytells.ai/\u202e",
    # Schemes.
    "ftp": "ftp://127.0.0.1",
    "file": "file:///etc/passwd",
    "javascript": "javascript://127.0.0.1/%0aalert(1)",
    "websocket": "ws://127.0.0.1",
    "scheme-relative": "//127.0.0.1",
    "no scheme": "127.0.0.1:8080",
    "scheme without slashes": "http:127.0.0.1",
    "scheme with one slash": "http:/127.0.0.1",
    "scheme with three slashes": "http:///evil.example",
    "unknown scheme": "httpx://127.0.0.1",
    # Plain http to a host that is not loopback.
    "plain http": "http://evil.example",
    "loopback-looking name": "http://127.0.0.1.evil.example",
    "localhost-looking name": "http://localhost.evil.example",
    "any address": "http://0.0.0.0",
    "private address": "http://10.0.0.1",
    "IPv6 any": "http://[::]",
    "IPv6 link-local": "http://[fe80::1]",
    # Numeric hosts that resolvers read in different ways.
    "decimal address": "http://2130706433",
    "hex address": "http://0x7f000001",
    "hex octet": "http://0x7f.0.0.1",
    "octal octet": "http://0177.0.0.1",
    "short form": "http://127.1",
    "three parts": "http://127.0.1",
    "leading zero": "http://127.0.0.01",
    "trailing dot": "http://127.0.0.1.",
    "localhost trailing dot": "http://localhost.",
    "percent-encoded host": "http://%31%32%37.0.0.1",
    "percent-encoded dots": "http://127%2e0%2e0%2e1",
    "empty label": "https://console..skytells.ai",
    "leading hyphen": "https://-evil.example",
    "underscore": "https://evil_example.com",
    "wildcard": "https://*.example",
    # IPv6 oddities.
    "zone id": "http://[::1%25lo]",
    "raw zone id": "http://[fe80::1%eth0]",
    "unclosed bracket": "http://[::1",
    "unbracketed IPv6": "http://::1",
    "uncompressed IPv6": "http://[0:0:0:0:0:0:0:1]",
    "IPvFuture": "http://[v1.x]",
    "extra bracket": "http://[::1]]",
    "IPv4-mapped": "http://[::ffff:127.0.0.1]",
    # Ports.
    "empty port": "http://127.0.0.1:",
    "port 0": "http://127.0.0.1:0",
    "port too large": "http://127.0.0.1:65536",
    "port with leading zero": "http://127.0.0.1:080",
    "port with sign": "http://127.0.0.1:+80",
    "two ports": "http://127.0.0.1:80:80",
    "port with a letter": "http://127.0.0.1:8o",
    "negative port": "http://127.0.0.1:-1",
    # Empty hosts, fragments, queries, paths the library would rewrite.
    "no host": "https://",
    "port without host": "http://:8080",
    "dot host": "https://.",
    "fragment": "https://console.skytells.ai#x",
    "query in a base URL": "https://console.skytells.ai/?x=1",
    "dot segments": "http://127.0.0.1/a/../../b",
    "bad percent-encoding": "https://console.skytells.ai/%zz",
    "character the library escapes": "https://console.skytells.ai/{x}",
}

ALLOWED = [  # (text, scheme, host, port, text as requests are built from it)
    ("https://console.skytells.ai", "https", "console.skytells.ai", None, "https://console.skytells.ai"),
    ("https://console.skytells.ai/", "https", "console.skytells.ai", None, "https://console.skytells.ai"),
    ("HTTPS://Console.Skytells.AI/v1/", "https", "console.skytells.ai", None, "https://console.skytells.ai/v1"),
    ("https://api.skytells.ai:8443/v1", "https", "api.skytells.ai", 8443, "https://api.skytells.ai:8443/v1"),
    ("http://127.0.0.1:8765", "http", "127.0.0.1", 8765, "http://127.0.0.1:8765"),
    ("http://127.8.9.10", "http", "127.8.9.10", None, "http://127.8.9.10"),
    ("http://localhost:1/x/", "http", "localhost", 1, "http://localhost:1/x"),
    ("http://[::1]:65535", "http", "::1", 65535, "http://[::1]:65535"),
    ("https://10.0.0.1", "https", "10.0.0.1", None, "https://10.0.0.1"),
    ("https://xn--bcher-kva.example/realms/a%20b", "https", "xn--bcher-kva.example", None,
     "https://xn--bcher-kva.example/realms/a%20b"),
]


def _refusal(text: str, setting: str = "SKYTELLS_API_URL", **options: Any) -> UsageError:
    with pytest.raises(UsageError) as caught:
        parse_service_url(text, setting, **options)
    return caught.value


def _assert_clean_refusal(error: UsageError, setting: str) -> None:
    shown = f"{error.message}\n{error.hint or ''}"
    assert error.exit_code == ExitCode.USAGE
    assert error.message.startswith(setting)
    assert "\n" not in error.message and "\r" not in error.message
    assert PASSWORD not in shown and "Pa55" not in shown
    assert not UNSAFE_OUTPUT.search(shown), shown


def test_the_catalogue_is_large() -> None:
    assert len(HOSTILE) >= 40


@pytest.mark.parametrize("text", list(HOSTILE.values()), ids=list(HOSTILE))
def test_each_hostile_url_is_refused_everywhere_without_showing_a_password(text: str) -> None:
    _assert_clean_refusal(_refusal(text), "SKYTELLS_API_URL")
    with pytest.raises(UsageError) as caught:
        HttpClient(text, setting="SKYTELLS_AI_API_URL")  # refused before any session exists
    _assert_clean_refusal(caught.value, "SKYTELLS_AI_API_URL")
    if "?" not in text:  # a query is fine in an endpoint or a page to open; everything else is not
        _assert_clean_refusal(_refusal(text, "the token_endpoint in x's metadata", endpoint=True), "the token_endpoint")
        assert safe_to_open(text) is False


@pytest.mark.parametrize(("text", "scheme", "host", "port", "built"), ALLOWED, ids=[a[0] for a in ALLOWED])
def test_plain_urls_are_read_as_written(text: str, scheme: str, host: str, port: int | None, built: str) -> None:
    url = parse_service_url(text, "SKYTELLS_API_URL")
    assert (url.scheme, url.host, url.port, url.text) == (scheme, host, port, built)
    assert parse_service_url(url.text, "again") == url


def test_an_endpoint_keeps_its_path_and_query_exactly() -> None:
    url = parse_service_url("https://login.example/oauth/token/?tenant=a&x=%2F", "token_endpoint", endpoint=True)
    assert url.text == "https://login.example/oauth/token/?tenant=a&x=%2F"
    assert url.join("/x").text == "https://login.example/oauth/token/x?tenant=a&x=%2F"


@pytest.mark.parametrize(("text", "shown"), [
    ("http://alice:s3cret@proxy.example:3128", "http://***@proxy.example:3128"),
    ("alice:s3cret@proxy.example:3128", "***@proxy.example:3128"),
    ("http://alice:s3c@ret@proxy.example", "http://***@proxy.example"),
    ("http://alice:s3cret\\@proxy.example", "http://***@proxy.example"),
    (":s3cret@x://y", "***@x://y"),
    ("https:\\\\alice:s3cret@proxy.example", "***@proxy.example"),
    ("https://console.skytells.ai/x?y=1", "https://console.skytells.ai/x?y=1"),
])
def test_without_userinfo_masks_whatever_any_parser_could_take_for_a_password(text: str, shown: str) -> None:
    assert without_userinfo(text) == shown


# -- properties ----------------------------------------------------------------------------------

SCHEME_PIECES = ["http://", "https://", "HTTP://", "hTtPs://", "http:", "http:/", "https:\\\\", "ftp://", "//", ""]
PIECES = ["127.0.0.1", "localhost", "[::1]", "[", "]", "::1", "evil.example", "console.skytells.ai", "0.0.0.0/",
          "2130706433", "0x7f", "127", "1", "0", ".", "..", "@", ":", "\\", "/", "#", "?", "%", "%2e", "%40", "%25",
          " ", "\t", "\n", "\x00", "-", "_", "8080", "080", "65536", f"alice:{PASSWORD}@", "\uff0e", "\u3002",
          "xn--e1a", "/v1", "/a/../b", "=", "&", ";", "~", "*"]
url_texts = st.one_of(
    st.builds(lambda scheme, pieces: scheme + "".join(pieces),
              st.sampled_from(SCHEME_PIECES), st.lists(st.sampled_from(PIECES), max_size=8)),
    st.builds(lambda scheme, rest: scheme + rest, st.sampled_from(SCHEME_PIECES),
              st.text(alphabet=st.characters(max_codepoint=0x3000), max_size=30)),
)


class _Sent(Exception):
    """Raised in place of sending: carries the prepared request and the settings it would go with."""

    def __init__(self, prepared: requests.PreparedRequest, options: dict[str, Any]) -> None:
        super().__init__()
        self.prepared, self.options = prepared, options


def _capture(_session: requests.Session, prepared: requests.PreparedRequest, **options: Any) -> None:
    raise _Sent(prepared, options)


def _connection_target(prepared: requests.PreparedRequest) -> tuple[str, str, int | None]:
    """Where requests' own adapter would open the connection for ``prepared``: (scheme, host, port)."""
    host_params, _ = HTTPAdapter().build_connection_pool_key_attributes(prepared, True, None)
    return host_params["scheme"], host_params["host"], host_params["port"]


def _loopback(host: str) -> bool:
    try:
        return host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@PROPERTY
@given(url_texts, st.sampled_from(["/api/v1/cli/projects", "/.well-known/openid-configuration", "/models", "/"]))
@example("http://evil.example\\@127.0.0.1", "/x")  # the attacks that worked before, always tried first
@example("http://127.0.0.1:80\\@evil.example", "/x")
@example("http://evil.example#@127.0.0.1", "/x")
@example("http://127.0.0.1\tevil.example", "/x")
@example("http://127.0.0.1%2f@evil.example", "/x")
@example("http://[::1]%40evil.example", "/x")
def test_a_url_is_refused_or_used_exactly_as_checked(text: str, path: str) -> None:
    try:
        client = HttpClient(text)
    except UsageError as error:
        _assert_clean_refusal(error, "SKYTELLS_API_URL")
        return
    checked = client.url
    with mock.patch.object(requests.Session, "send", _capture), pytest.raises(_Sent) as sent:
        client.request("GET", path, bearer="tok")
    prepared = sent.value.prepared
    # The host the connection would really be opened to is the host the rule was applied to...
    assert _connection_target(prepared) == (checked.scheme, checked.host, checked.port)
    assert parse_url(prepared.url).host.strip("[]") == checked.host == urlsplit(prepared.url).hostname
    # ...plain http goes to loopback only, and never through a proxy.
    assert checked.scheme == "https" or (_loopback(checked.host) and sent.value.options["proxies"] == {})
    assert parse_service_url(checked.text, "again") == checked  # the canonical text reads back as the same value


@PROPERTY
@given(st.sampled_from(SCHEME_PIECES), st.text(max_size=10), st.text(max_size=20))
def test_a_password_in_a_url_is_never_shown(scheme: str, user: str, rest: str) -> None:
    text = f"{scheme}{user}:{PASSWORD}@{rest}"
    with pytest.raises(UsageError) as caught:
        parse_service_url(text, "--issuer", endpoint=True)
    assert PASSWORD not in f"{caught.value.message} {caught.value.hint}"
    assert PASSWORD not in without_userinfo(text)


@PROPERTY
@given(url_texts)
def test_the_browser_opens_exactly_what_the_rule_accepts(text: str) -> None:
    try:
        parse_service_url(text, "the verification URL", endpoint=True)
    except UsageError:
        assert safe_to_open(text) is False
    else:
        assert safe_to_open(text) is True


def test_a_prepared_request_that_strays_is_never_sent(monkeypatch: pytest.MonkeyPatch) -> None:
    """The last guard: even if preparing changed the host, the request is refused, not sent."""
    client = HttpClient("http://127.0.0.1:9")
    sent: list[Any] = []
    original = requests.Session.prepare_request

    def stray(session: requests.Session, request: requests.Request) -> Any:
        prepared = original(session, request)
        prepared.url = "http://evil.example/api"
        return prepared

    monkeypatch.setattr(requests.Session, "prepare_request", stray)
    monkeypatch.setattr(requests.Session, "send", lambda *args, **kwargs: sent.append(args))
    with pytest.raises(UsageError, match=r"would not send the request to 127\.0\.0\.1:9"):
        client.request("GET", "/api", bearer="secret")
    assert sent == []


def test_service_urls_are_values() -> None:
    a = ServiceUrl("https", "console.skytells.ai", None, "/v1", setting="one")
    assert a == ServiceUrl("https", "console.skytells.ai", None, "/v1", setting="another")
    with pytest.raises(AttributeError):
        a.host = "evil.example"  # type: ignore[misc]


# -- the real CLI ----------------------------------------------------------------------------------


class Trap:
    """A socket listening on 127.0.0.1 that records every connection made to it (and closes it)."""

    def __init__(self) -> None:
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._socket.bind(("127.0.0.1", 0))
        self._socket.listen(16)
        self._socket.settimeout(0.05)
        self.port = self._socket.getsockname()[1]
        self.connections: list[tuple[str, int]] = []
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def _accept(self) -> None:
        while not self._stopping.is_set():
            try:
                connection, peer = self._socket.accept()
            except OSError:
                continue
            self.connections.append(peer)
            connection.close()

    def stop(self) -> None:
        self._stopping.set()
        self._thread.join(5)
        self._socket.close()


@pytest.fixture
def rel_trap() -> Iterator[Trap]:
    trap = Trap()
    yield trap
    trap.stop()


def trap_variants(port: int) -> dict[str, str]:
    """Hostile URLs around the trap: each host in them is on loopback, so even a wrong reading stays here."""
    trap = f"127.0.0.1:{port}"
    return {
        "user and password": f"http://alice:{PASSWORD}@{trap}",
        "password only": f"http://:{PASSWORD}@{trap}",
        "backslash before @": f"http://{trap}\\@localhost:{port}",
        "backslash after host": f"http://localhost:{port}\\@{trap}",
        "fragment then @": f"http://{trap}#@localhost:{port}",
        "space": f"http://{trap} /x",
        "escape sequence": f"http://{trap}/\x1b]0;owned\x07",
        "decimal address": f"http://2130706433:{port}",
        "hex octet": f"http://0x7f.0.0.1:{port}",
        "octal octet": f"http://0177.0.0.1:{port}",
        "short form": f"http://127.1:{port}",
        "trailing dot": f"http://127.0.0.1.:{port}",
        "percent-encoded host": f"http://%31%32%37.0.0.1:{port}",
        "port with leading zero": f"http://127.0.0.1:0{port}",
        "zone id": f"http://[::1%25lo]:{port}",
        "ftp": f"ftp://{trap}",
        "backslashes as slashes": f"http:\\\\{trap}",
        "dot segments": f"http://{trap}/a/../b",
    }


def _problems(run: Any, setting: str) -> list[str]:
    """What is wrong with how a run refused a hostile URL; empty when it refused it the documented way."""
    if run.timed_out:
        return ["hang"]
    problems = []
    if run.code != ExitCode.USAGE:
        problems.append(f"exit {run.code}, expected 2")
    if "Traceback" in run.output:
        problems.append("traceback")
    if "Pa55" in run.output:
        problems.append("the password was shown")
    if not any(line.startswith(f"error: {setting}") for line in run.stderr.splitlines()):
        problems.append(f"no error line naming {setting}")
    if UNSAFE_OUTPUT.search(run.output):
        problems.append("a control character reached the output")
    return problems


Runner = Callable[[World, str], Any]
#: Enough for a setting that reaches the same rule by a second path (another command, another variable).
FEW = ("user and password", "backslash after host", "decimal address", "zone id", "ftp")

SETTINGS: dict[str, tuple[str, Runner, tuple[str, ...] | None]] = {  # case: (setting, run, variants; None: all)
    "SKYTELLS_API_URL login --token": (
        "SKYTELLS_API_URL",
        lambda world, url: world.run("login", "--token", input=fake_pat() + "\n", env={"SKYTELLS_API_URL": url}),
        None),
    "SKYTELLS_API_URL whoami": (
        "SKYTELLS_API_URL",
        lambda world, url: world.run("whoami", env={"SKYTELLS_API_URL": url, "SKYTELLS_TOKEN": fake_pat()}),
        FEW),
    "SKYTELLS_AI_API_URL api-key set": (
        "SKYTELLS_AI_API_URL",
        lambda world, url: world.run("api-key", "set", input="sk_" + "k" * 48 + "\n",
                                     env={"SKYTELLS_AI_API_URL": url}),
        None),
    "--issuer": (
        "--issuer",
        lambda world, url: world.run("login", "--issuer", url, "--client-id", "skytells-cli", "--no-browser"),
        None),
    "SKYTELLS_ISSUER": (
        "SKYTELLS_ISSUER",
        lambda world, url: world.run("login", "--no-browser",
                                     env={"SKYTELLS_ISSUER": url, "SKYTELLS_CLIENT_ID": "skytells-cli"}),
        FEW),
}


@pytest.mark.parametrize("case", list(SETTINGS))
def test_hostile_urls_in_each_setting_stop_the_cli_before_any_request(tmp_path: Path, rel_trap: Trap,
                                                                      case: str) -> None:
    setting, run_with, chosen = SETTINGS[case]
    trap_url = f"http://127.0.0.1:{rel_trap.port}"
    variants = {name: url for name, url in trap_variants(rel_trap.port).items() if chosen is None or name in chosen}

    def one(item: tuple[int, tuple[str, str]]) -> str | None:
        index, (name, url) = item
        with World(tmp_path / str(index)) as world:
            # Every other service points at the trap too: a request anywhere would be recorded.
            world.env.update({"SKYTELLS_API_URL": trap_url, "SKYTELLS_AI_API_URL": trap_url + "/v1"})
            run = run_with(world, url)
            problems = _problems(run, setting)
            return f"{name} ({url!r}): {'; '.join(problems)}\n{run}" if problems else None

    with ThreadPoolExecutor(max_workers=4) as pool:
        failures = [f for f in pool.map(one, enumerate(variants.items())) if f]
    assert rel_trap.connections == []
    if failures:
        pytest.fail("\n\n".join(failures), pytrace=False)


ENDPOINT_VARIANTS = ["user and password", "backslash before @", "decimal address", "fragment then @", "ftp",
                     "port with leading zero"]


@pytest.mark.parametrize("endpoint", ["device_authorization_endpoint", "token_endpoint"])
@pytest.mark.parametrize("variant", ENDPOINT_VARIANTS)
def test_hostile_endpoints_in_metadata_are_refused_before_any_request(
        rel_world: World, rel_hostile: type[HostileServer], rel_trap: Trap, endpoint: str, variant: str) -> None:
    trap_url = f"http://127.0.0.1:{rel_trap.port}"
    issuer = rel_hostile()
    document = {"issuer": issuer.url, "device_authorization_endpoint": f"{trap_url}/device",
                "token_endpoint": f"{trap_url}/token", endpoint: trap_variants(rel_trap.port)[variant]}
    issuer.set("/.well-known/oauth-authorization-server", json_reply(200, document))
    rel_world.env.update({"SKYTELLS_API_URL": trap_url, "SKYTELLS_AI_API_URL": trap_url})
    run = rel_world.run("login", "--issuer", issuer.url, "--client-id", "skytells-cli", "--no-browser")
    assert _problems(run, f"the {endpoint}") == [], run
    assert rel_trap.connections == []
    assert [seen.path for seen in issuer.seen] == ["/.well-known/oauth-authorization-server"]


def test_the_doctor_never_shows_a_password_from_a_url(rel_world: World, rel_trap: Trap) -> None:
    env = {"SKYTELLS_API_URL": f"http://alice:{PASSWORD}@127.0.0.1:{rel_trap.port}",
           "SKYTELLS_AI_API_URL": f"http://bob:{PASSWORD}@127.0.0.1:{rel_trap.port}/v1",
           "HTTPS_PROXY": f"http://carol:{PASSWORD}@127.0.0.1:{rel_trap.port}"}
    plain = rel_world.run("auth", "doctor", env=env)
    as_json = rel_world.run("auth", "doctor", "-f", "json", env=env)
    for run in (plain, as_json):
        assert run.code == 1, run
        assert PASSWORD not in run.output and "alice" not in run.output and "Traceback" not in run.output
    findings = {row["check"]: row for row in json.loads(as_json.stdout)}
    assert findings["SKYTELLS_API_URL"]["detail"] == f"http://***@127.0.0.1:{rel_trap.port}"
    assert findings["HTTPS_PROXY"]["detail"] == f"http://***@127.0.0.1:{rel_trap.port}"
    assert findings["server"]["status"] == "fail"
    assert "SKYTELLS_API_URL" in findings["server"]["detail"]
    assert rel_trap.connections == []


# -- proxies -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("no_proxy", [None, "", "example.com"], ids=["unset", "empty", "other-hosts"])
def test_plain_http_to_loopback_never_goes_through_a_proxy(rel_world: World, rel_sandbox: Sandbox, rel_trap: Trap,
                                                           no_proxy: str | None) -> None:
    proxy = f"http://127.0.0.1:{rel_trap.port}"
    env = {name: proxy for name in ("HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy", "HTTPS_PROXY")}
    env.update({"NO_PROXY": no_proxy, "no_proxy": no_proxy})
    token = rel_sandbox.issue_token()
    login = rel_world.run("login", "--token", input=token + "\n", env=env)
    whoami = rel_world.run("whoami", env=env)
    assert login.code == 0, login
    assert whoami.code == 0, whoami
    assert rel_trap.connections == []  # the "proxy" saw nothing: both went straight to the sandbox
