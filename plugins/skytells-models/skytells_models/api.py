"""The inference API as the commands use it: models, predictions, and the shapes the API may answer in.

Every request goes through the client skytells gives plugin commands
(``context.client("inference")``): it attaches the API key, keeps it on the
inference API's origin, bounds the exchange and turns an error status into a
one-line error with the documented exit code (4 for 401, 1 otherwise).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

from skytells.errors import ServerError, UsageError
from skytells.net.api_client import ApiClient

#: Statuses after which a prediction changes no more.
FINAL_STATUSES = frozenset({"succeeded", "failed", "canceled"})
#: The documented bounds of ``per_page``.
MAX_PER_PAGE = 50


def segment(value: str, what: str) -> str:
    """``value`` as one path segment (``/`` and everything else escaped); UsageError when empty."""
    if not value.strip():
        raise UsageError(f"The {what} is empty.")
    if len(value) > 200:
        raise UsageError(f"The {what} is longer than 200 characters.")
    return quote(value, safe="")


def items(body: Any, host: str) -> list[dict[str, Any]]:
    """The objects of a list answer: a JSON array, or ``{"data": [...]}`` (the client unwraps that)."""
    if not isinstance(body, list) or not all(isinstance(item, dict) for item in body):
        raise ServerError(f"{host} answered with something that is not a list of objects.")
    return body


def one(body: Any, host: str, what: str) -> dict[str, Any]:
    """The object of a single answer."""
    if not isinstance(body, dict):
        raise ServerError(f"{host} answered with something that is not a {what} object.")
    return body


class Inference:
    """The requests the commands make."""

    def __init__(self, client: ApiClient) -> None:
        self.client = client

    @property
    def host(self) -> str:
        """The inference API's host, for messages."""
        return self.client.host

    def models(self) -> list[dict[str, Any]]:
        """``GET /models``."""
        return items(self.client.get("/models").body(), self.host)

    def model(self, slug: str) -> dict[str, Any]:
        """``GET /models/{slug}``."""
        return one(self.client.get(f"/models/{segment(slug, 'model slug')}").body(), self.host, "model")

    def create(self, model: str, model_input: Mapping[str, Any], webhook: str | None = None) -> dict[str, Any]:
        """``POST /predictions``."""
        body: dict[str, Any] = {"model": model, "input": dict(model_input)}
        if webhook:
            body["webhook"] = webhook
        return one(self.client.post("/predictions", json=body).body(), self.host, "prediction")

    def prediction(self, prediction_id: str) -> dict[str, Any]:
        """``GET /predictions/{id}``."""
        path = f"/predictions/{segment(prediction_id, 'prediction id')}"
        return one(self.client.get(path).body(), self.host, "prediction")

    def predictions(self, *, page: int = 1, per_page: int = 20, model: str | None = None,
                    status: str | None = None) -> list[dict[str, Any]]:
        """``GET /predictions?page&per_page[&model][&status]``."""
        params: dict[str, Any] = {"page": page, "per_page": per_page}
        if model:
            params["model"] = model
        if status:
            params["status"] = status
        return items(self.client.get("/predictions", params=params).body(), self.host)

    def cancel(self, prediction_id: str) -> None:
        """``POST /predictions/{id}/cancel``."""
        self.client.post(f"/predictions/{segment(prediction_id, 'prediction id')}/cancel")

    def remove(self, prediction_id: str) -> None:
        """``DELETE /predictions/{id}``."""
        self.client.delete(f"/predictions/{segment(prediction_id, 'prediction id')}")


def model_name(prediction: Mapping[str, Any]) -> str | None:
    """A prediction's model: a slug, or ``{"name", "type"}``."""
    model = prediction.get("model")
    if isinstance(model, dict):
        name = model.get("name")
        return name if isinstance(name, str) else None
    return model if isinstance(model, str) else None


def outputs(prediction: Mapping[str, Any]) -> list[str]:
    """A prediction's output as a list: a list of URLs, one URL, or nothing."""
    output = prediction.get("output")
    if isinstance(output, str):
        return [output]
    if isinstance(output, list):
        return [item if isinstance(item, str) else str(item) for item in output]
    return []


def error_text(prediction: Mapping[str, Any]) -> str | None:
    """A failed prediction's error: a text, or ``{"message"}``."""
    error = prediction.get("error")
    if isinstance(error, dict):
        error = error.get("message")
    return error if isinstance(error, str) and error else None
