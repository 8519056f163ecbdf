"""``skytells api PATH``: an authenticated request to a Skytells API, in the spirit of ``gh api``.

The request goes to the console (default), the inference API
(``--inference``) or the issuer of the profile's token (``--issuer``),
through :func:`skytells.cli.client.for_context`, which attaches the
credential that belongs there and sends it nowhere else. The answer's body
goes to stdout (pretty JSON on a terminal, the bytes as received
otherwise); an error status is one ``error:`` line on stderr (exit 4 for
401, 1 otherwise), the body still on stdout with ``-i`` or ``--json``.
"""

from __future__ import annotations

import argparse
import json
import logging
import re
from collections.abc import Sequence
from pathlib import Path
from typing import IO, Any

from skytells.cli.client import TARGETS, for_context
from skytells.cli.command import Command
from skytells.errors import SkytellsError, UsageError
from skytells.net.api_client import MAX_REQUEST_BYTES, ApiClient, ApiResponse
from skytells.safety import redaction
from skytells.safety.sanitize import terminal_safe
from skytells.safety.urls import parse_service_url
from skytells.terminal import streams

LOG = logging.getLogger(__name__)

#: Headers that carry credentials: skytells chooses the credential, and a secret never belongs in argv.
CREDENTIAL_HEADERS = frozenset({"authorization", "proxy-authorization", "x-api-key", "cookie"})
_KEY = re.compile(r"([^\[\]=]+)((?:\[[^\[\]]*\])*)")
_INTEGER = re.compile(r"-?(?:0|[1-9][0-9]*)")
_NUMBER = re.compile(r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?")
#: Characters escaped in JSON shown on a terminal: C1 controls, DEL and bidirectional controls.
_UNSAFE_IN_JSON = re.compile(r"[\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
_UNSAFE_IN_TEXT = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")

EPILOG = """\
PATH is a path on the chosen API (models, /api/v1/cli/projects), or an absolute URL on its origin; an \
absolute URL elsewhere is refused before any request. Without a flag, an absolute URL picks the API whose \
origin it is on.

Fields: -F key=value is typed (numbers, true, false, null; @FILE reads a file, @- stdin), -f key=value is a \
string; key[sub]=v nests and key[]=v appends to a list. They are sent as a JSON body, or as the query string \
for GET (and with --input). The method is GET, or POST when fields or --input are given.

Credentials: the profile's user token for the console (refreshed when due, and once more after a 401 when it \
has a refresh token), the project access key with --project, the API key as x-api-key with --inference, the \
token from a standard provider with --issuer. They are never sent to another origin, and a redirect to another \
origin is not followed.

Exit status: 0 for a 2xx answer, 4 for 401, 1 for any other status or a network failure, 2 for usage errors."""


class Api(Command):
    """Send an authenticated request to a Skytells API and print the answer"""

    _epilog = EPILOG  # type: ignore[assignment]  # cliff declares it None, and reads a string

    def get_parser(self, prog_name: str) -> argparse.ArgumentParser:
        parser = super().get_parser(prog_name)
        parser.formatter_class = argparse.RawDescriptionHelpFormatter
        parser.add_argument("path", metavar="PATH", help="The path on the API, or an absolute URL on its origin.")
        target = parser.add_mutually_exclusive_group()
        target.add_argument("--inference", action="store_true",
                            help="Ask the inference API (SKYTELLS_AI_API_URL) with the API key.")
        target.add_argument("--issuer", action="store_true",
                            help="Ask the standard provider that issued the profile's token (login --issuer).")
        parser.add_argument("--project", action="store_true",
                            help="Ask the console with the project access key instead of the user token.")
        parser.add_argument("-X", "--method", metavar="METHOD",
                            help="The HTTP method (default GET, or POST with fields or --input).")
        parser.add_argument("-F", "--field", action="append", dest="fields", default=[], metavar="KEY=VALUE",
                            type=lambda text: (text, True),
                            help="A typed field: numbers, true, false, null, @FILE (@- for stdin), else text.")
        parser.add_argument("-f", "--raw-field", action="append", dest="fields", metavar="KEY=VALUE",
                            type=lambda text: (text, False), help="A text field.")
        parser.add_argument("-H", "--header", action="append", default=[], metavar="'NAME: VALUE'",
                            help="An extra request header (not a credential header).")
        parser.add_argument("--input", metavar="FILE",
                            help="The request body, from FILE (- for stdin); fields then go to the query string.")
        parser.add_argument("-i", "--include", action="store_true",
                            help="Print the status line and the headers before the body.")
        parser.add_argument("--json", action="store_true",
                            help="For programs: the body is printed even for an error status, and a failure "
                                 "without an answer is a JSON error object.")
        return parser

    def take_action(self, parsed_args: argparse.Namespace) -> int:
        stdin = self.context.stdin
        # In the order given, typed (-F) or not (-f); values are never echoed in errors.
        parsed_fields = [parse_field(text, typed=typed, stdin=stdin) for text, typed in parsed_args.fields]
        headers = parse_headers(parsed_args.header)
        body: bytes | None = None
        if parsed_args.input is not None:
            body = read_limited(parsed_args.input, stdin, "--input")
            if not any(name.lower() == "content-type" for name in headers):
                headers["Content-Type"] = "application/json"
        method = (parsed_args.method or ("POST" if parsed_fields or body is not None else "GET")).upper()
        client = self._client(parsed_args)
        in_query = method in ("GET", "HEAD") or body is not None
        kwargs: dict[str, Any] = {}
        if in_query:
            kwargs["params"] = [(key, value) for key, _parts, value in parsed_fields] or None
        elif parsed_fields:
            kwargs["json"] = build_body(parsed_fields)
        LOG.debug("%s %s%s", method, client.origin, client.url(parsed_args.path).path)
        response = client.request(method, parsed_args.path, data=body, headers=headers, check=False, **kwargs)
        LOG.debug("HTTP %s from %s (%d bytes)", response.status, client.host, len(response.content))
        stdout = self.app.stdout
        show_body = response.ok or parsed_args.include or parsed_args.json
        if parsed_args.include:
            write_head(stdout, response, safe=_is_tty(stdout))
        if show_body and method != "HEAD":
            write_body(stdout, response, terminal=_is_tty(stdout), stderr=self.context.terminal)
        if not response.ok:
            report = getattr(self.app, "error_report", None)
            if parsed_args.json and report is not None:
                report.answered()  # the body is this run's JSON answer: no second object
            client.raise_for(response)
        return 0

    def _client(self, parsed_args: argparse.Namespace) -> ApiClient:
        if parsed_args.inference:
            return for_context(self.context, "inference", project=parsed_args.project)
        if parsed_args.issuer:
            return for_context(self.context, "issuer", project=parsed_args.project)
        if "://" not in parsed_args.path.split("?", 1)[0] or parsed_args.project:
            return for_context(self.context, "console", project=parsed_args.project)
        return self._client_for_url(parsed_args.path)

    def _client_for_url(self, text: str) -> ApiClient:
        """The client whose origin an absolute URL is on: the console, the inference API, then the issuer."""
        origin = parse_service_url(text, "The URL", endpoint=True).origin
        origins = []
        for target in TARGETS:
            try:
                client = for_context(self.context, target)
            except SkytellsError:  # no issuer for this profile
                continue
            if client.origin == origin:
                return client
            origins.append(client.origin)
        raise UsageError(f"{terminal_safe(origin, 100)} is neither the console, the inference API nor the issuer "
                         "of the profile's token; no credential is sent there.",
                         hint=f"Known origins: {', '.join(dict.fromkeys(origins))}.")


def _is_tty(stream: Any) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError, OSError):
        return False


# -- request pieces ------------------------------------------------------------------------------------------

def parse_field(text: str, *, typed: bool, stdin: IO[str] | None = None) -> tuple[str, list[str], Any]:
    """``KEY=VALUE`` as (key as written, key parts, value); typed (``-F``) or text (``-f``).

    UsageError names the key only, never the value (it may be a secret).
    """
    flag = "-F" if typed else "-f"
    key, sep, value = text.partition("=")
    match = _KEY.fullmatch(key)
    if not sep or match is None:
        shown_key = terminal_safe(key, 40) if sep else "the field"
        raise UsageError(f"{flag} takes KEY=VALUE, with a key such as name, name[sub] or name[]; "
                         f"not {shown_key!r}." if sep else f"{flag} takes KEY=VALUE (no '=' in {shown_key}).")
    parts = [match.group(1), *re.findall(r"\[([^\[\]]*)\]", match.group(2))]
    return key, parts, typed_value(value, key, stdin) if typed else value


def typed_value(value: str, key: str, stdin: IO[str] | None = None) -> Any:
    """What ``-F`` makes of a value: true, false, null, an integer or a number, a file's text, else the text."""
    if value in ("true", "false"):
        return value == "true"
    if value == "null":
        return None
    if _INTEGER.fullmatch(value):
        return int(value)
    if _NUMBER.fullmatch(value):
        number = float(value)
        if number not in (float("inf"), float("-inf")):
            return number
    if value.startswith("@"):
        data = read_limited(value[1:], stdin, f"-F {terminal_safe(key, 40)}")
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError:
            raise UsageError(f"The file for -F {terminal_safe(key, 40)} is not UTF-8 text.") from None
    return value


def read_limited(name: str, stdin: IO[str] | None, what: str, limit: int = MAX_REQUEST_BYTES) -> bytes:
    """The bytes of file ``name`` (``-``: standard input), at most ``limit``; UsageError otherwise (exit 2)."""
    if name == "-":
        source: Any = getattr(stdin, "buffer", None) if stdin is not None else None
        if source is None:
            text = stdin.read(limit + 1) if stdin is not None else ""
            data = text.encode("utf-8")
        else:
            data = source.read(limit + 1)
        where = "standard input"
    else:
        path = Path(name)
        where = terminal_safe(name, 100)
        try:
            with path.open("rb") as handle:
                data = handle.read(limit + 1)
        except FileNotFoundError:
            raise UsageError(f"{what}: there is no file {where}.") from None
        except IsADirectoryError:
            raise UsageError(f"{what}: {where} is a directory.") from None
        except OSError as error:
            raise UsageError(f"{what}: could not read {where} ({error.strerror or type(error).__name__}).") \
                from None
    if len(data) > limit:
        raise UsageError(f"{what}: {where} holds more than {limit // (1024 * 1024)} MiB; too large to send.")
    return bytes(data)


def build_body(fields: Sequence[tuple[str, list[str], Any]]) -> dict[str, Any]:
    """The JSON object the fields make: ``a[b]=1`` nests, ``a[]=1`` appends to a list."""
    body: dict[str, Any] = {}
    for key, parts, value in fields:
        node: Any = body
        for index, part in enumerate(parts):
            last = index == len(parts) - 1
            conflict = UsageError(f"The field {terminal_safe(key, 60)!r} does not fit the fields before it.")
            if part == "":
                if not isinstance(node, list) or not last:
                    raise conflict
                node.append(value)
                break
            if not isinstance(node, dict):
                raise conflict
            if last:
                node[part] = value
                break
            following = parts[index + 1]
            child = node.setdefault(part, [] if following == "" else {})
            if isinstance(child, list) != (following == ""):
                raise conflict
            node = child
    return body


def parse_headers(lines: Sequence[str]) -> dict[str, str]:
    """``Name: value`` lines as a dict; credential headers are refused (the value is never echoed)."""
    headers: dict[str, str] = {}
    for line in lines:
        name, sep, value = line.partition(":")
        name = name.strip()
        if not sep or not name:
            raise UsageError("-H takes 'Name: value'.")
        if name.lower() in CREDENTIAL_HEADERS:
            redaction.register(value.strip().partition(" ")[2] or value.strip())
            raise UsageError(f"-H {terminal_safe(name, 40)} is not accepted: skytells sends the credential that "
                             "belongs to the API, and a secret on the command line would be kept in shell "
                             "history and the process list.",
                             hint="Choose it with --profile, --project or SKYTELLS_TOKEN / SKYTELLS_API_KEY.")
        headers[name] = value.strip()
    return headers


# -- output --------------------------------------------------------------------------------------------------

def write_head(stdout: IO[str], response: ApiResponse, *, safe: bool) -> None:
    """The status line and the headers, then an empty line (terminal-safe on a terminal)."""
    lines = [f"HTTP/{response.http_version} {response.status} {response.reason}".rstrip()]
    lines += [f"{name}: {value}" for name, value in response.header_list]
    for line in lines:
        stdout.write((terminal_safe(line, 8192) if safe else line) + "\n")
    stdout.write("\n")
    stdout.flush()


def write_body(stdout: IO[str], response: ApiResponse, *, terminal: bool, stderr: Any) -> None:
    """The body: pretty JSON or safe text on a terminal; the bytes as received otherwise."""
    content = response.content
    if not content:
        return
    if not terminal:
        text = response.text
        if text is not None:
            stdout.write(text)
            stdout.flush()
        else:
            write_bytes(stdout, content)
        return
    if response.is_json:
        pretty = json.dumps(response.data, indent=2, ensure_ascii=False)
        stdout.write(_UNSAFE_IN_JSON.sub(lambda found: f"\\u{ord(found.group()):04x}", pretty) + "\n")
    elif response.text is not None:
        text = _UNSAFE_IN_TEXT.sub("\N{REPLACEMENT CHARACTER}", response.text)
        stdout.write(text if text.endswith("\n") else text + "\n")
    else:
        stderr.warning(f"The answer is {len(content)} bytes of binary data, not shown on a terminal; "
                       "redirect the output to a file to keep it.")
    stdout.flush()


def write_bytes(stdout: IO[str], data: bytes) -> None:
    """Write bytes that are not text as they are, past the text layer but not past redaction."""
    # Latin-1 maps every byte to one character and back: a registered secret in the bytes is masked all the same.
    masked = redaction.redact(data.decode("latin-1")).encode("latin-1", errors="replace")
    target = getattr(stdout, "target", stdout)
    buffer = getattr(target, "buffer", None)
    if buffer is None:
        stdout.write(masked.decode("utf-8", errors="replace"))
        return
    stdout.flush()
    try:
        buffer.write(masked)
        buffer.flush()
    except (OSError, ValueError) as error:
        raise streams.OutputLost(error) from None
