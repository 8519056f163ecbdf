"""The ``/device`` verification page: enter a code, then approve or deny the request."""

from __future__ import annotations

import hmac

from skytells_sandbox import pages
from skytells_sandbox.codes import normalize_user_code
from skytells_sandbox.context import Context
from skytells_sandbox.messages import InvalidBodyError, Request, Response, html_response
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


def show_form(ctx: Context, request: Request) -> Response:
    """``GET /device``: the code entry form, prefilled from ``?code=``."""
    raw = (request.query_value("code") or "").strip()
    prefill = normalize_user_code(raw) or raw[:MAX_PREFILL_LENGTH]
    return html_response(200, pages.entry_page(prefill))


def submit(ctx: Context, request: Request) -> Response:
    """``POST /device``: look a code up (``action=continue``), or approve or deny it."""
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
    return _approved() if wanted is DeviceStatus.APPROVED else _denied()
