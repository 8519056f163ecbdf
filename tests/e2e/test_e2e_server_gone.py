"""``skytells login`` when the console goes away while the CLI waits for the approval."""

from __future__ import annotations

import sys

import pytest

from tests.reliability.reliability_support import clock_script

# The CLI's own main() on a fast clock: a second of sleep takes a millisecond, so the flow's intervals
# and back-off are kept, only quicker.
FAST_CLOCK = clock_script(real_share=0.001)


@pytest.mark.parametrize("dialect", ["console", "rfc8628"])
def test_login_stops_with_one_line_when_the_server_disappears(e2e, dialect):
    # A long-lived code polled once a minute: the code cannot expire before the failed polls run out.
    sandbox = e2e.start_sandbox(dialect=dialect, interval=60, expires_in=3600)
    host = sandbox.url.split("//", 1)[1]
    process = e2e.start("login", "--no-browser", program=(sys.executable, "-c", FAST_CLOCK))
    user_code = e2e.wait_for_code()
    e2e.wait_for_polls(user_code, 1)  # the login is under way: told "pending" at least once
    sandbox.stop()
    result = process.finish()

    assert result.code == 1, result
    assert result.stdout == ""
    assert "Traceback" not in result.stderr
    (error,) = result.error_lines
    assert result.stderr.rstrip("\n").splitlines()[-1] == error
    assert error.startswith("error: Gave up waiting for authorization after 6 failed polls in a row"), error
    assert f"Could not connect to {host}" in error, error
    assert "nothing was saved" in error
    assert "expired" not in error
    assert not e2e.credentials_path.exists()
