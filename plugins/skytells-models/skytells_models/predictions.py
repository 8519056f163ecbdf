"""``skytells predictions create | get | ls | cancel | rm``."""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, ClassVar

from skytells.cli.command import Command
from skytells.cli.display import Lister, ShowOne
from skytells.errors import UsageError

from skytells_models.api import MAX_PER_PAGE, Inference, error_text, model_name, outputs
from skytells_models.waiting import DEFAULT_INTERVAL, DEFAULT_TIMEOUT, check_seconds, status_of, wait_for

#: The largest --input read (a model's input is a small JSON object).
MAX_INPUT_BYTES = 1024 * 1024
RECORD_COLUMNS = ("id", "model", "status", "created_at", "started_at", "completed_at", "output", "error")
LIST_COLUMNS = ("id", "model", "status", "created_at", "completed_at")


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def record(prediction: Mapping[str, Any]) -> tuple[Sequence[str], Sequence[Any]]:
    """A prediction as ``ShowOne`` shows it."""
    return RECORD_COLUMNS, (_text(prediction.get("id")), model_name(prediction), status_of(dict(prediction)),
                            _text(prediction.get("created_at")), _text(prediction.get("started_at")),
                            _text(prediction.get("completed_at")), outputs(prediction), error_text(prediction))


def read_input(text: str, stdin: Any) -> dict[str, Any]:
    """``--input``: a JSON object, or ``@FILE`` (``@-``: stdin) holding one; UsageError otherwise (exit 2).

    Messages never quote the input: it may hold something private.
    """
    if text.startswith("@"):
        name = text[1:]
        if name == "-":
            raw = stdin.read(MAX_INPUT_BYTES + 1)
            data = raw.encode("utf-8") if isinstance(raw, str) else raw
        else:
            try:
                with Path(name).open("rb") as handle:
                    data = handle.read(MAX_INPUT_BYTES + 1)
            except OSError as error:
                raise UsageError(f"--input: could not read {name[:100]!r} "
                                 f"({error.strerror or type(error).__name__}).") from None
        if len(data) > MAX_INPUT_BYTES:
            raise UsageError(f"--input: more than {MAX_INPUT_BYTES // 1024} KiB; too large for a model's input.")
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            raise UsageError("--input: the file is not UTF-8 text.") from None
    try:
        value = json.loads(text)
    except (ValueError, RecursionError):
        raise UsageError("--input is not valid JSON.", hint="Give a JSON object, such as '{\"prompt\": \"...\"}', "
                         "or @FILE.") from None
    if not isinstance(value, dict):
        raise UsageError("--input must be a JSON object, such as '{\"prompt\": \"...\"}'.")
    return value


class PredictionCreate(ShowOne):
    """Start a prediction with a model (--wait to wait for its result)"""

    #: What --wait measures time with and waits with; tests replace them.
    clock: ClassVar[Callable[[], float]] = staticmethod(time.monotonic)
    sleep: ClassVar[Callable[[float], None]] = staticmethod(time.sleep)

    def get_parser(self, prog_name: str) -> argparse.ArgumentParser:
        parser = super().get_parser(prog_name)
        parser.add_argument("model", metavar="MODEL", help="The model's slug (see skytells models ls).")
        parser.add_argument("--input", required=True, metavar="JSON|@FILE",
                            help="The model's input: a JSON object, or @FILE (@- for stdin).")
        parser.add_argument("--webhook", metavar="URL", help="A URL the API calls when the prediction finishes.")
        parser.add_argument("--wait", action="store_true",
                            help="Wait until it succeeds, fails or is canceled (exit 1 unless it succeeds).")
        parser.add_argument("--interval", default=str(DEFAULT_INTERVAL), metavar="SECONDS",
                            help=f"With --wait: seconds between checks (default {DEFAULT_INTERVAL:g}).")
        parser.add_argument("--timeout", default=str(DEFAULT_TIMEOUT), metavar="SECONDS",
                            help=f"With --wait: give up after this long (default {DEFAULT_TIMEOUT:g}); "
                                 "the prediction goes on.")
        return parser

    def take_action(self, parsed_args: argparse.Namespace) -> tuple[Sequence[str], Sequence[Any]]:
        interval = check_seconds(parsed_args.interval, "--interval", 0.05, 3600)
        timeout = check_seconds(parsed_args.timeout, "--timeout", 0, 86400)
        model_input = read_input(parsed_args.input, self.context.stdin)
        api = Inference(self.context.client("inference"))
        prediction = api.create(parsed_args.model, model_input, parsed_args.webhook)
        if parsed_args.wait:
            prediction_id = str(prediction.get("id", ""))
            prediction = wait_for(prediction, lambda: api.prediction(prediction_id), self.context.terminal,
                                  clock=type(self).clock, sleep=type(self).sleep, interval=interval,
                                  timeout=timeout)
            status = status_of(prediction)
            if status != "succeeded":
                why = error_text(prediction)
                self.context.terminal.warning(f"Prediction {prediction_id} {status}" + (f": {why}" if why else "."))
                self.exit_code = 1
        return record(prediction)


class PredictionGet(ShowOne):
    """Show a prediction: its status, output and error"""

    def get_parser(self, prog_name: str) -> argparse.ArgumentParser:
        parser = super().get_parser(prog_name)
        parser.add_argument("id", metavar="ID", help="The prediction's id.")
        return parser

    def take_action(self, parsed_args: argparse.Namespace) -> tuple[Sequence[str], Sequence[Any]]:
        return record(Inference(self.context.client("inference")).prediction(parsed_args.id))


def _page(text: str, name: str, maximum: int) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if not 1 <= value <= maximum:
        raise UsageError(f"{name} must be a whole number from 1 to {maximum}.")
    return value


class PredictionList(Lister):
    """List your recent predictions, newest first"""

    def get_parser(self, prog_name: str) -> argparse.ArgumentParser:
        parser = super().get_parser(prog_name)
        parser.add_argument("--page", default="1", metavar="N", help="Which page (default 1).")
        parser.add_argument("--per-page", default="20", metavar="N",
                            help=f"Predictions per page, 1 to {MAX_PER_PAGE} (default 20).")
        parser.add_argument("--model", metavar="SLUG", help="Only the predictions of this model.")
        parser.add_argument("--status", metavar="STATUS", help="Only the predictions in this status (succeeded...).")
        return parser

    def take_action(self, parsed_args: argparse.Namespace) -> tuple[Sequence[str], list[Sequence[Any]]]:
        page = _page(parsed_args.page, "--page", 1_000_000)
        per_page = _page(parsed_args.per_page, "--per-page", MAX_PER_PAGE)
        found = Inference(self.context.client("inference")).predictions(
            page=page, per_page=per_page, model=parsed_args.model, status=parsed_args.status)
        rows = [(_text(p.get("id")), model_name(p), status_of(p), _text(p.get("created_at")),
                 _text(p.get("completed_at"))) for p in found]
        return LIST_COLUMNS, rows


class PredictionCancel(Command):
    """Cancel a prediction that has not finished"""

    def get_parser(self, prog_name: str) -> argparse.ArgumentParser:
        parser = super().get_parser(prog_name)
        parser.add_argument("id", metavar="ID", help="The prediction's id.")
        return parser

    def take_action(self, parsed_args: argparse.Namespace) -> int:
        Inference(self.context.client("inference")).cancel(parsed_args.id)
        self.context.terminal.success(f"Canceled prediction {parsed_args.id}.")
        return 0


class PredictionRemove(Command):
    """Delete a prediction and its output"""

    def get_parser(self, prog_name: str) -> argparse.ArgumentParser:
        parser = super().get_parser(prog_name)
        parser.add_argument("id", metavar="ID", help="The prediction's id.")
        return parser

    def take_action(self, parsed_args: argparse.Namespace) -> int:
        Inference(self.context.client("inference")).remove(parsed_args.id)
        self.context.terminal.success(f"Deleted prediction {parsed_args.id}.")
        return 0
