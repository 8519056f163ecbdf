"""The inference API (``/v1``): models and predictions, every request checked for its ``x-api-key``.

Shapes follow what is publicly known of the real API (the official CLI's
use of it): a model has ``name``, ``namespace`` (its slug), ``type`` and
``status``; a prediction has ``id`` and ``status`` (``starting``,
``processing``, then ``succeeded``, ``failed`` or ``canceled``); error
bodies are ``{"error": {"message", "details", "error_id"}}``. A missing or
unknown key is answered as ``GET /v1/models`` always was:
``{"error": "Unauthorized", "message": "Invalid API key"}`` with 401.

Made up, because the public documentation does not say: the models and
their schemas, the output URLs (nothing is served there), the
``pagination`` object of the list, 409 for cancelling a finished
prediction, and that predictions are visible to the API key that made them
only.

A prediction finishes ``prediction_seconds`` (a sandbox setting, default 1)
after it was created, on the sandbox's ``clock``: tests set 0 (finished at
once) or move a fake clock. The ``sandbox-fail-1`` model always fails.
"""

from __future__ import annotations

import datetime
import secrets
import threading
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from skytells_sandbox.context import Context
from skytells_sandbox.messages import (
    InvalidBodyError,
    RefusedError,
    Request,
    Response,
    answers_refusals,
    error_response,
    json_response,
)
from skytells_sandbox.state import SandboxState

Endpoint = Callable[[Context, Request], Response]

FINAL_STATUSES = ("succeeded", "failed", "canceled")
MAX_PER_PAGE = 50
DEFAULT_PER_PAGE = 20
MAX_PREDICTIONS_KEPT = 10_000
FAILING_MODEL = "sandbox-fail-1"
EXTENSIONS = {"image": "png", "video": "mp4", "audio": "mp3", "text": "txt"}


def _model(slug: str, name: str, kind: str, description: str, **extra: Any) -> dict[str, Any]:
    model: dict[str, Any] = {
        "id": slug,
        "name": name,
        "namespace": slug,
        "type": kind,
        "status": "operational",
        "description": description,
        "privacy": "public",
        "vendor": {"name": "Skytells Sandbox", "verified": True, "slug": "sandbox"},
        "billable": False,
        "pricing": {"amount": 0, "currency": "USD", "unit": "prediction"},
        "capabilities": [f"text-to-{kind}"],
        "input_schema": {
            "type": "object",
            "required": ["prompt"],
            "properties": {"prompt": {"type": "string", "description": "What to make."}},
        },
        "output_schema": {"type": "array", "items": {"type": "string", "format": "uri"}},
    }
    model.update(extra)
    return model


DEMO_MODELS: tuple[dict[str, Any], ...] = (
    _model("sandbox-image-1", "Sandbox Image", "image", "Makes a picture from a prompt."),
    _model("sandbox-text-1", "Sandbox Text", "text", "Answers a prompt with text.",
           capabilities=["text-generation"]),
    _model("sandbox-video-1", "Sandbox Video", "video", "Makes a short video from a prompt."),
    _model("sandbox-audio-1", "Sandbox Audio", "audio", "Speaks a prompt.",
           capabilities=["text-to-speech"]),
    _model(FAILING_MODEL, "Sandbox Failure", "text", "Every prediction fails, for testing.",
           capabilities=["testing"]),
    _model("sandbox-retired-1", "Sandbox Retired", "image", "No longer takes predictions.",
           status="deprecated"),
)
_MODELS = {model["namespace"]: model for model in DEMO_MODELS}


def _iso(moment: float) -> str:
    stamp = datetime.datetime.fromtimestamp(moment, tz=datetime.timezone.utc)
    return stamp.isoformat(timespec="milliseconds").replace("+00:00", "Z")


@dataclass
class Prediction:
    """One prediction; its status follows the clock until it is final."""

    id: str
    model: dict[str, Any]
    input: dict[str, Any]
    owner: str = field(repr=False)
    created: float
    created_wall: float
    webhook: str | None = None
    canceled_at: float | None = None
    canceled_wall: float | None = None

    def status(self, now: float, duration: float) -> str:
        if self.canceled_at is not None:
            return "canceled"
        if now >= self.created + duration:
            return "failed" if self.model["namespace"] == FAILING_MODEL else "succeeded"
        return "starting" if now == self.created else "processing"

    def document(self, base_url: str, now: float, duration: float) -> dict[str, Any]:
        status = self.status(now, duration)
        done = status in FINAL_STATUSES
        finished_wall = self.canceled_wall if status == "canceled" else self.created_wall + duration
        output: list[str] | None = None
        if status == "succeeded":
            extension = EXTENSIONS[self.model["type"]]
            output = [f"{base_url}/_sandbox/outputs/{self.id}.{extension}"]
        return {
            "id": self.id,
            "status": status,
            "model": {"name": self.model["namespace"], "type": self.model["type"]},
            "input": self.input,
            "output": output,
            "error": "The sandbox model always fails." if status == "failed" else None,
            "metrics": {"predict_time": duration} if status == "succeeded" else None,
            "urls": {
                "get": f"{base_url}/v1/predictions/{self.id}",
                "cancel": f"{base_url}/v1/predictions/{self.id}/cancel",
            },
            "webhook": self.webhook,
            "created_at": _iso(self.created_wall),
            "started_at": None if status == "starting" else _iso(self.created_wall),
            "completed_at": _iso(finished_wall) if done and finished_wall is not None else None,
        }


class PredictionBook:
    """Every prediction of one sandbox, newest last, guarded by a lock."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._by_id: dict[str, Prediction] = {}

    def add(self, prediction: Prediction) -> None:
        with self._lock:
            if len(self._by_id) >= MAX_PREDICTIONS_KEPT:
                self._by_id.pop(next(iter(self._by_id)))
            self._by_id[prediction.id] = prediction

    def get(self, prediction_id: str, owner: str) -> Prediction | None:
        with self._lock:
            found = self._by_id.get(prediction_id)
            if found is None or not secrets.compare_digest(found.owner, owner):
                return None
            return found

    def of(self, owner: str) -> list[Prediction]:
        with self._lock:
            return [p for p in self._by_id.values() if secrets.compare_digest(p.owner, owner)]

    def remove(self, prediction_id: str) -> None:
        with self._lock:
            self._by_id.pop(prediction_id, None)

    def cancel(self, prediction: Prediction, now: float, wall: float, duration: float) -> bool:
        """Cancel ``prediction`` unless it is final already; True when it was canceled now."""
        with self._lock:
            if prediction.status(now, duration) in FINAL_STATUSES:
                return False
            prediction.canceled_at, prediction.canceled_wall = now, wall
            return True


_BOOKS: weakref.WeakKeyDictionary[SandboxState, PredictionBook] = weakref.WeakKeyDictionary()
_BOOKS_LOCK = threading.Lock()


def predictions_of(state: SandboxState) -> PredictionBook:
    """The predictions of the sandbox whose state is ``state``."""
    with _BOOKS_LOCK:
        book = _BOOKS.get(state)
        if book is None:
            book = _BOOKS[state] = PredictionBook()
        return book


def api_error(status: int, message: str, details: str | None = None) -> Response:
    """An error in the inference API's documented shape."""
    body = {"message": message, "details": details, "error_id": "err_" + secrets.token_hex(6)}
    return json_response(status, {"error": body})


def _api_key(ctx: Context, request: Request) -> str | None:
    key = (request.header("x-api-key") or "").strip()
    return key if key and ctx.state.api_key_is_valid(key) else None


def _unauthorized() -> Response:
    return error_response(401, "Unauthorized", "Invalid API key")


def _duration(ctx: Context) -> float:
    return float(ctx.config.prediction_seconds)


# -- models ---------------------------------------------------------------------------------------


def models(ctx: Context, request: Request) -> Response:
    """``GET /v1/models`` with ``x-api-key``: the model list for a valid API key, else 401."""
    if _api_key(ctx, request) is None:
        return _unauthorized()
    return json_response(200, {"data": [dict(model) for model in DEMO_MODELS]})


def model(ctx: Context, request: Request, slug: str) -> Response:
    """``GET /v1/models/{slug}``: one model, 404 for a slug no model has."""
    if _api_key(ctx, request) is None:
        return _unauthorized()
    found = _MODELS.get(slug)
    if found is None:
        return api_error(404, "Model not found", f"No model has the slug {slug[:80]!r}.")
    return json_response(200, dict(found))


# -- predictions ----------------------------------------------------------------------------------


def create_prediction(ctx: Context, request: Request) -> Response:
    """``POST /v1/predictions`` ``{"model", "input", "webhook"?}``: a new prediction (201)."""
    key = _api_key(ctx, request)
    if key is None:
        return _unauthorized()
    try:
        payload = request.json_object()
    except InvalidBodyError as exc:
        return api_error(400, "Invalid request body", str(exc))
    slug = payload.get("model")
    if not isinstance(slug, str) or not slug:
        return api_error(422, "Validation failed", "model must be the slug of a model.")
    found = _MODELS.get(slug)
    if found is None:
        return api_error(404, "Model not found", f"No model has the slug {slug[:80]!r}.")
    if found["status"] != "operational":
        details = f"{slug} is {found['status']} and takes no predictions."
        return api_error(422, "Model unavailable", details)
    model_input = payload.get("input")
    if not isinstance(model_input, dict):
        return api_error(422, "Validation failed", "input must be a JSON object.")
    prompt = model_input.get("prompt")
    if not isinstance(prompt, str) or not prompt.strip():
        return api_error(422, "Validation failed", "input.prompt is required and must be text.")
    webhook = payload.get("webhook")
    if webhook is not None and not isinstance(webhook, str):
        return api_error(422, "Validation failed", "webhook must be a URL.")
    prediction = Prediction(
        id="pred_" + secrets.token_hex(10),
        model=found,
        input=model_input,
        owner=key,
        created=ctx.state.now(),
        created_wall=ctx.config.wall_clock(),
        webhook=webhook,
    )
    predictions_of(ctx.state).add(prediction)
    return json_response(201, prediction.document(ctx.url, ctx.state.now(), _duration(ctx)))


def _page_value(request: Request, name: str, default: int, maximum: int) -> int | Response:
    text = request.query_value(name)
    if text is None or text == "":
        return default
    try:
        value = int(text)
    except ValueError:
        return api_error(422, "Validation failed", f"{name} must be a whole number.")
    if not 1 <= value <= maximum:
        return api_error(422, "Validation failed", f"{name} must be between 1 and {maximum}.")
    return value


def list_predictions(ctx: Context, request: Request) -> Response:
    """``GET /v1/predictions?page&per_page&model&status``: the key's predictions, newest first."""
    key = _api_key(ctx, request)
    if key is None:
        return _unauthorized()
    page = _page_value(request, "page", 1, 1_000_000)
    per_page = _page_value(request, "per_page", DEFAULT_PER_PAGE, MAX_PER_PAGE)
    if isinstance(page, Response):
        return page
    if isinstance(per_page, Response):
        return per_page
    now, duration = ctx.state.now(), _duration(ctx)
    mine = reversed(predictions_of(ctx.state).of(key))
    documents = [p.document(ctx.url, now, duration) for p in mine]
    wanted_model, wanted_status = request.query_value("model"), request.query_value("status")
    if wanted_model:
        documents = [d for d in documents if d["model"]["name"] == wanted_model]
    if wanted_status:
        documents = [d for d in documents if d["status"] == wanted_status]
    start = (page - 1) * per_page
    pagination = {"page": page, "per_page": per_page, "total": len(documents)}
    return json_response(200, {"data": documents[start:start + per_page], "pagination": pagination})


def _found(ctx: Context, request: Request, prediction_id: str) -> Prediction:
    """The prediction ``prediction_id`` of the API key; RefusedError (401, 404) otherwise."""
    key = _api_key(ctx, request)
    if key is None:
        raise RefusedError(_unauthorized())
    prediction = predictions_of(ctx.state).get(prediction_id, key)
    if prediction is None:
        details = f"No prediction has the id {prediction_id[:80]!r}."
        raise RefusedError(api_error(404, "Prediction not found", details))
    return prediction


def get_prediction(ctx: Context, request: Request, prediction_id: str) -> Response:
    """``GET /v1/predictions/{id}``: one prediction, as it stands now."""
    prediction = _found(ctx, request, prediction_id)
    return json_response(200, prediction.document(ctx.url, ctx.state.now(), _duration(ctx)))


def cancel_prediction(ctx: Context, request: Request, prediction_id: str) -> Response:
    """``POST /v1/predictions/{id}/cancel``: ``{"success": true}``; 409 once it has finished."""
    prediction = _found(ctx, request, prediction_id)
    now, duration = ctx.state.now(), _duration(ctx)
    if not predictions_of(ctx.state).cancel(prediction, now, ctx.config.wall_clock(), duration):
        status = prediction.status(now, duration)
        details = f"It has {status}; only a running one can be canceled."
        return api_error(409, "Prediction already finished", details)
    return json_response(200, {"success": True})


def delete_prediction(ctx: Context, request: Request, prediction_id: str) -> Response:
    """``DELETE /v1/predictions/{id}``: ``{"success": true}``; it is gone afterwards."""
    prediction = _found(ctx, request, prediction_id)
    predictions_of(ctx.state).remove(prediction.id)
    return json_response(200, {"success": True})


def _bind(endpoint: Callable[[Context, Request, str], Response], value: str) -> Endpoint:
    @answers_refusals
    def run(ctx: Context, request: Request) -> Response:
        return endpoint(ctx, request, value)

    run.__doc__ = endpoint.__doc__
    return run


def routes_for(path: str) -> dict[str, Endpoint] | None:
    """Endpoints of a path with an identifier: ``/v1/models/{slug}``, ``/v1/predictions/{id}``."""
    parts = path.split("/")
    if len(parts) not in (4, 5) or parts[:2] != ["", "v1"] or not parts[3]:
        return None
    collection, identifier, action = parts[2], parts[3], parts[4] if len(parts) == 5 else None
    if collection == "models" and action is None:
        return {"GET": _bind(model, identifier)}
    if collection == "predictions" and action is None:
        return {"GET": _bind(get_prediction, identifier),
                "DELETE": _bind(delete_prediction, identifier)}
    if collection == "predictions" and action == "cancel":
        return {"POST": _bind(cancel_prediction, identifier)}
    return None
