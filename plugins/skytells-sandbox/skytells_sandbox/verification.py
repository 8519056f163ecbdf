"""The ``/device`` verification page: enter a code, then approve or deny the request."""

from __future__ import annotations

import hmac

from skytells_sandbox import pages
from skytells_sandbox.codes import normalize_user_code
from skytells_sandbox.context import Context
from skytells_sandbox.messages import (
    InvalidBodyError,
    Request,
    Response,
    html_response,
    see_other,
)
from skytells_sandbox.state import DeviceStatus, NotPendingError, UnknownCodeError

MAX_PREFILL_LENGTH = 16
APPROVED_MESSAGE = "Device approved. You can return to your terminal."
DENIED_MESSAGE = "Request denied. The device was not given access; you can close this page."
UNKNOWN_MESSAGE = "Unknown or expired code. Run skytells login again to get a new one."
EXPIRED_MESSAGE = "This code has expired. Run skytells login again to get a new one."
USED_MESSAGE = (
    "This code was already used and is no longer valid. "
    "Run skytells login again if you need a new one."
)
BAD_FORMAT_MESSAGE = "Enter the code shown in your terminal, like ABCD-1234."
NO_RESULT_MESSAGE = (
    "There is no decision to show here. To connect a device, enter the code shown in your terminal."
)
RESULT_PATH = "/device/result"


def _approved() -> Response:
    return html_response(200, pages.result_page("Access granted", APPROVED_MESSAGE, ok=True))


def _denied() -> Response:
    return html_response(200, pages.result_page("Access denied", DENIED_MESSAGE, ok=False))


def _unknown() -> Response:
    return html_response(404, pages.result_page("Unknown code", UNKNOWN_MESSAGE, ok=False))


def _expired() -> Response:
    return html_response(410, pages.result_page("Code expired", EXPIRED_MESSAGE, ok=False))


def _already_used() -> Response:
    return html_response(409, pages.result_page("Code already used", USED_MESSAGE, ok=False))


def _settled(status: DeviceStatus) -> Response:
    """The page for a request that no longer waits for a decision.

    Its outcome is not repeated: "Access granted" for a code typed again would
    read as a second grant (and tell whoever holds the code what happened).
    """
    if status is DeviceStatus.EXPIRED:
        return _expired()
    return _already_used()


def _no_result() -> Response:
    return html_response(404, pages.result_page("Nothing to show", NO_RESULT_MESSAGE, ok=False))


def show_form(ctx: Context, request: Request) -> Response:
    """``GET /device``: the code entry form, prefilled from ``?code=``."""
    raw = (request.query_value("code") or "").strip()
    prefill = normalize_user_code(raw) or raw[:MAX_PREFILL_LENGTH]
    return html_response(200, pages.entry_page(prefill))


def submit(ctx: Context, request: Request) -> Response:
    """``POST /device``: look a code up (``action=continue``), or approve or deny it.

    A decision that is made is answered with a 303 redirect to its result
    page; a refused one is answered at once with the page that says why.
    """
    try:
        form = request.form()
    except InvalidBodyError:
        return html_response(400, pages.entry_page(error=BAD_FORMAT_MESSAGE))
    action = form.get("action", "continue")
    raw = form.get("code", "").strip()
    if action not in ("continue", "approve", "deny"):
        return html_response(400, pages.entry_page(raw[:MAX_PREFILL_LENGTH], "Unknown action."))
    user_code = normalize_user_code(raw)
    if user_code is None:
        return html_response(400, pages.entry_page(raw[:MAX_PREFILL_LENGTH], BAD_FORMAT_MESSAGE))
    try:
        device = ctx.state.device_request(user_code)
    except UnknownCodeError:
        if action == "continue":
            return html_response(404, pages.entry_page(user_code, UNKNOWN_MESSAGE))
        return _unknown()

    if device.status is not DeviceStatus.PENDING:  # typed again, or Approve pressed twice
        return _settled(device.status)
    if action == "continue":
        page = pages.confirm_page(
            device.user_code, device.client_name, device.scopes, device.form_token
        )
        return html_response(200, page)

    # Approve and deny only count from the confirmation form of this very request.
    if not hmac.compare_digest(form.get("form_token", ""), device.form_token):
        return html_response(
            403, pages.entry_page(user_code, "This form is no longer valid; enter the code again.")
        )
    wanted = DeviceStatus.APPROVED if action == "approve" else DeviceStatus.DENIED
    try:
        ctx.state.decide(user_code, wanted)
    except NotPendingError as exc:
        return _settled(exc.status)
    except UnknownCodeError:
        return _unknown()
    # Post/Redirect/Get: reloading the outcome, or going back to it, sends no decision again.
    return see_other(f"{RESULT_PATH}?id={ctx.state.remember_decision(wanted)}")


def show_result(ctx: Context, request: Request) -> Response:
    """``GET /device/result?id=...``: the outcome of a decision, where Approve and Deny lead.

    The id comes only with the redirect answering the decision, so holding a
    user code is not enough to learn what became of it.
    """
    outcome = ctx.state.decision(request.query_value("id") or "")
    if outcome is DeviceStatus.APPROVED:
        return _approved()
    if outcome is DeviceStatus.DENIED:
        return _denied()
    return _no_result()
