"""The inference API's models and predictions: shapes, the API key, the clock, errors."""

from __future__ import annotations

import pytest


class Api:
    """Requests to one sandbox's inference API with one API key."""

    def __init__(self, http, sandbox, key: str | None) -> None:
        self.http, self.base = http, sandbox.url + "/v1"
        self.headers = {} if key is None else {"x-api-key": key}

    def get(self, path: str, **params):
        return self.http.get(self.base + path, headers=self.headers, params=params)

    def post(self, path: str, json=None):
        return self.http.post(self.base + path, headers=self.headers, json=json)

    def delete(self, path: str):
        return self.http.delete(self.base + path, headers=self.headers)

    def create(self, model: str = "sandbox-image-1", prompt: str = "a lighthouse") -> dict:
        response = self.post("/predictions", {"model": model, "input": {"prompt": prompt}})
        assert response.status_code == 201, response.text
        return response.json()


@pytest.fixture
def api(sandbox_server, sandbox_http):
    return Api(sandbox_http, sandbox_server, sandbox_server.issue_api_key())


def error_of(response) -> dict:
    error = response.json()["error"]
    assert set(error) == {"message", "details", "error_id"}
    assert error["error_id"].startswith("err_")
    return error


def test_models_have_the_documented_fields(api):
    models = api.get("/models").json()["data"]
    assert len(models) >= 4
    for model in models:
        assert {"name", "namespace", "type", "status"} <= set(model)
        assert model["type"] in ("image", "video", "audio", "text")
    assert {model["type"] for model in models} == {"image", "video", "audio", "text"}


def test_one_model_by_slug_and_an_unknown_one(api):
    assert api.get("/models/sandbox-text-1").json()["namespace"] == "sandbox-text-1"
    missing = api.get("/models/nope")
    assert missing.status_code == 404
    assert error_of(missing)["message"] == "Model not found"


@pytest.mark.parametrize(("method", "path"), [
    ("GET", "/models/sandbox-text-1"), ("GET", "/predictions"), ("POST", "/predictions"),
    ("GET", "/predictions/pred_x"), ("POST", "/predictions/pred_x/cancel"),
    ("DELETE", "/predictions/pred_x")])
def test_every_endpoint_wants_a_valid_key(sandbox_server, sandbox_http, method, path):
    for key in (None, "sbx_key_" + "0" * 48, sandbox_server.issue_token()):
        response = sandbox_http.request(method, f"{sandbox_server.url}/v1{path}",
                                        headers={} if key is None else {"x-api-key": key},
                                        json={"model": "sandbox-text-1", "input": {"prompt": "x"}})
        assert response.status_code == 401
        assert response.json() == {"error": "Unauthorized", "message": "Invalid API key"}


def test_a_prediction_runs_then_succeeds_on_the_sandbox_clock(api, sandbox_clock):
    created = api.create()
    assert created["status"] == "starting"
    assert created["model"] == {"name": "sandbox-image-1", "type": "image"}
    assert created["output"] is None and created["completed_at"] is None
    sandbox_clock.advance(0.5)
    assert api.get(f"/predictions/{created['id']}").json()["status"] == "processing"
    sandbox_clock.advance(0.5)
    done = api.get(f"/predictions/{created['id']}").json()
    assert done["status"] == "succeeded"
    assert done["output"][0].endswith(f"/{created['id']}.png")
    assert done["completed_at"]


def test_the_duration_is_a_setting(sandbox_factory, sandbox_http):
    sandbox = sandbox_factory(prediction_seconds=0)
    api = Api(sandbox_http, sandbox, sandbox.issue_api_key())
    assert api.create()["status"] == "succeeded"
    failed = api.create("sandbox-fail-1")
    assert failed["status"] == "failed" and failed["error"]


def test_a_negative_duration_is_refused(sandbox_factory):
    with pytest.raises(ValueError, match="prediction_seconds"):
        sandbox_factory(prediction_seconds=-1)


@pytest.mark.parametrize(("body", "status", "message"), [
    ({"input": {"prompt": "x"}}, 422, "Validation failed"),
    ({"model": "nope", "input": {"prompt": "x"}}, 404, "Model not found"),
    ({"model": "sandbox-text-1", "input": "x"}, 422, "Validation failed"),
    ({"model": "sandbox-text-1", "input": {}}, 422, "Validation failed"),
    ({"model": "sandbox-retired-1", "input": {"prompt": "x"}}, 422, "Model unavailable"),
])
def test_bad_predictions_are_refused_in_the_documented_shape(api, body, status, message):
    response = api.post("/predictions", body)
    assert response.status_code == status
    assert error_of(response)["message"] == message


def test_cancel_then_delete(api, sandbox_clock):
    created = api.create()
    assert api.post(f"/predictions/{created['id']}/cancel").json() == {"success": True}
    assert api.get(f"/predictions/{created['id']}").json()["status"] == "canceled"
    again = api.post(f"/predictions/{created['id']}/cancel")
    assert again.status_code == 409
    assert api.delete(f"/predictions/{created['id']}").json() == {"success": True}
    assert api.get(f"/predictions/{created['id']}").status_code == 404


def test_the_list_is_newest_first_paged_filtered_and_per_key(
        api, sandbox_server, sandbox_http, sandbox_clock):
    ids = [api.create("sandbox-text-1" if i % 2 else "sandbox-image-1")["id"] for i in range(5)]
    listed = api.get("/predictions").json()
    assert [p["id"] for p in listed["data"]] == ids[::-1]
    assert listed["pagination"] == {"page": 1, "per_page": 20, "total": 5}
    second_page = api.get("/predictions", page=2, per_page=2).json()["data"]
    assert [p["id"] for p in second_page] == ids[::-1][2:4]
    texts = api.get("/predictions", model="sandbox-text-1").json()["data"]
    assert {p["model"]["name"] for p in texts} == {"sandbox-text-1"}
    sandbox_clock.advance(5)
    assert len(api.get("/predictions", status="succeeded").json()["data"]) == 5
    other = Api(sandbox_http, sandbox_server, sandbox_server.issue_api_key())
    assert other.get("/predictions").json()["data"] == []
    assert other.get(f"/predictions/{ids[0]}").status_code == 404


@pytest.mark.parametrize("params", [{"per_page": 51}, {"per_page": 0}, {"page": 0}, {"page": "x"}])
def test_paging_out_of_range_is_refused(api, params):
    response = api.get("/predictions", **params)
    assert response.status_code == 422
    assert error_of(response)["message"] == "Validation failed"
