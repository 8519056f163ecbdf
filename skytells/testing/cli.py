"""Running the ``skytells`` executable in a subprocess, isolated from the caller's configuration.

:class:`CliRunner` runs it to completion (:meth:`~CliRunner.run`), in the
background (:meth:`~CliRunner.start`) or on a pseudo-terminal
(:meth:`~CliRunner.spawn`), keeps every finished run, starts sandboxes the
CLI talks to, and checks with a :class:`~skytells.testing.canary.SecretCanary`
that no secret the test handled was shown.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from skytells.testing.background import CliProcess
from skytells.testing.canary import DEFAULT_WINDOW, SecretCanary, prints_a_secret
from skytells.testing.environment import config_dir_of, executable, isolated_environment, with_changes
from skytells.testing.results import CliResult, decoded, shown_command
from skytells.testing.sandbox import start_sandbox
from skytells.testing.terminal import CliTerminal

DEFAULT_TIMEOUT = 60.0
# Runs a command with the default SIGINT disposition even if the test runner ignores SIGINT
# (an ignored signal is inherited across exec; Python then never raises KeyboardInterrupt).
DEFAULT_SIGINT = (sys.executable, "-c", "import os, signal, sys; signal.signal(signal.SIGINT, signal.SIG_DFL); "
                                        "os.execv(sys.argv[1], sys.argv[1:])")


class CliRunner:
    """Runs ``skytells`` with its own home, configuration and cache directories under ``root``.

    ``env`` is the environment every run gets; change it to point the CLI at
    a sandbox (:meth:`use_sandbox`) or to select a plugin. Credentials stay
    in ``config_dir`` between runs of one runner. Every finished run is kept
    in :attr:`runs`; :meth:`check_canary` searches them for secrets. Use it
    as a context manager (or call :meth:`close`) to stop the sandboxes it
    started.
    """

    #: Seconds a run, a wait or an expectation may take.
    timeout: float = DEFAULT_TIMEOUT
    #: A run that outlives its timeout fails the test; when False it comes back with ``timed_out`` set.
    fail_on_timeout: bool = True
    #: A traceback in the output of a run without ``--debug`` fails the test at once.
    forbid_tracebacks: bool = False
    #: Rows and columns of the pseudo-terminal of :meth:`spawn`.
    terminal_size: tuple[int, int] = (24, 120)
    #: Length of the secret pieces the canary searches for.
    canary_window: int = DEFAULT_WINDOW

    def __init__(self, root: Path, *, env: Mapping[str, str] | None = None, config_dir: Path | None = None,
                 cache_dir: Path | None = None) -> None:
        self.root = root
        self.env = isolated_environment(root, env, config_dir=config_dir, cache_dir=cache_dir)
        self.home = Path(self.env["HOME"])
        self.config_dir = Path(self.env["SKYTELLS_CONFIG_DIR"])
        self.cache_dir = Path(self.env["XDG_CACHE_HOME"])
        self.command = executable()
        self.runs: list[CliResult] = []
        #: Log files (``--log-file``) the canary searches too.
        self.log_files: list[Path] = []
        #: Credentials files whose secrets join the canary's list (this runner's own is one).
        self.credential_files: set[Path] = {self.credentials_path}
        self.canary = SecretCanary(self.canary_window)
        self.sandboxes: list[Any] = []
        #: The sandbox the CLI talks to (see :meth:`use_sandbox`).
        self.sandbox: Any = None

    def __enter__(self) -> CliRunner:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    # -- sandboxes -----------------------------------------------------------------------------

    def start_sandbox(self, *, use: bool = True, **settings: Any) -> Any:
        """Start a ``skytells_sandbox`` sandbox (``settings`` as for :func:`start_sandbox`), stopped by
        :meth:`close`; ``use`` points the CLI at it."""
        sandbox = start_sandbox(**settings)
        self.sandboxes.append(sandbox)
        if use:
            self.use_sandbox(sandbox)
        return sandbox

    def use_sandbox(self, sandbox: Any) -> None:
        """Point every run at ``sandbox``: its console API and its inference API (``/v1``)."""
        self.sandbox = sandbox
        self.point_at(sandbox.url)
        self.env["SKYTELLS_AI_API_URL"] = sandbox.url + "/v1"

    def point_at(self, url: str) -> None:
        """Make every run talk to the console at ``url``."""
        self.env["SKYTELLS_API_URL"] = url

    def close(self) -> None:
        """Stop every sandbox this runner started, after registering the secrets they received."""
        for sandbox in self.sandboxes:
            self.canary.collect_sandbox(sandbox)
            sandbox.stop()

    # -- running ---------------------------------------------------------------------------------

    def environment(self, env: Mapping[str, str | None] | None = None) -> dict[str, str]:
        """:attr:`env` with ``env`` applied (a variable set to None is removed)."""
        return with_changes(self.env, env)

    def argv(self, args: Sequence[str], *, program: Sequence[str] | None = None, prefix: Sequence[str] = (),
             default_sigint: bool = False) -> list[str]:
        """The argument list that runs ``skytells ARGS``.

        ``program`` replaces the ``skytells`` executable, ``prefix`` is a
        wrapper command (``setpriv ...``), and ``default_sigint`` restores
        SIGINT's default action even when the test runner ignores it.
        """
        sigint = DEFAULT_SIGINT if default_sigint else ()
        return [*prefix, *sigint, *(program or self.command), *args]

    def run(self, *args: str, input: str | None = None, env: Mapping[str, str | None] | None = None,
            timeout: float | None = None, umask: int = -1, program: Sequence[str] | None = None,
            prefix: Sequence[str] = (), preexec_fn: Callable[[], None] | None = None) -> CliResult:
        """Run ``skytells ARGS`` to completion with pipes (no terminal).

        stdin holds ``input``, or is empty (``/dev/null``) when it is None.
        ``env`` changes the environment of this run only. A run that outlives
        ``timeout`` is killed (see :attr:`fail_on_timeout`).
        """
        environment = self.environment(env)
        limit = timeout or self.timeout
        try:
            done = subprocess.run(
                self.argv(args, program=program, prefix=prefix), env=environment, capture_output=True,
                timeout=limit, input=input.encode() if input is not None else None,
                stdin=subprocess.DEVNULL if input is None else None, check=False, umask=umask, preexec_fn=preexec_fn)
        except subprocess.TimeoutExpired as error:
            result = CliResult(args, -1, decoded(error.stdout), decoded(error.stderr), config_dir_of(environment),
                               timed_out=True)
        else:
            result = CliResult(args, done.returncode, decoded(done.stdout), decoded(done.stderr),
                               config_dir_of(environment))
        return self.finished(result, limit)

    def start(self, *args: str, env: Mapping[str, str | None] | None = None, stdin_pipe: bool = False,
              default_sigint: bool = False, program: Sequence[str] | None = None,
              prefix: Sequence[str] = ()) -> CliProcess:
        """Start ``skytells ARGS`` in the background: stdin empty, or a pipe for :meth:`CliProcess.write`."""
        environment = self.environment(env)
        popen = subprocess.Popen(self.argv(args, program=program, prefix=prefix, default_sigint=default_sigint),
                                 env=environment, stdin=subprocess.PIPE if stdin_pipe else subprocess.DEVNULL,
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        return CliProcess(self, args, popen, config_dir_of(environment))

    def spawn(self, *args: str, env: Mapping[str, str | None] | None = None, default_sigint: bool = False,
              program: Sequence[str] | None = None) -> CliTerminal:
        """Start ``skytells ARGS`` on a real pseudo-terminal (``TERM=xterm``, :attr:`terminal_size`).

        Needs pexpect (``pip install pexpect``).
        """
        environment = self.environment({"TERM": "xterm", **(env or {})})
        return CliTerminal(self, args, self.argv(args, program=program, default_sigint=default_sigint),
                           environment, self.terminal_size)

    def finished(self, result: CliResult, timeout: float | None = None) -> CliResult:
        """Keep a finished run (of any kind) in :attr:`runs` and apply the runner's checks; return it."""
        self.runs.append(result)
        for path in self.credential_files:
            self.canary.collect_credentials(path)  # now: a later run may replace what is stored
        if self.forbid_tracebacks and "--debug" not in result.args:
            assert "Traceback" not in result.output, f"a traceback without --debug from {result}"
        if result.timed_out and self.fail_on_timeout:
            raise AssertionError(f"{shown_command(result.args)} did not finish within {timeout} s "
                                 f"(waiting for input?)\n{result}")
        return result

    def record(self, args: Sequence[str], stderr: str, stdout: str = "") -> CliResult:
        """Keep output that ``skytells ARGS`` showed outside this runner, as if it were one of its runs."""
        return self.finished(CliResult(tuple(args), 0, stdout, stderr, self.config_dir))

    # -- the credentials file --------------------------------------------------------------------

    @property
    def credentials_path(self) -> Path:
        """``credentials.json`` in the configuration directory."""
        return self.config_dir / "credentials.json"

    def credentials(self) -> dict[str, Any]:
        """The parsed ``credentials.json`` of this runner's configuration directory ({} if absent)."""
        data = self.credentials_bytes()
        return {} if data is None else json.loads(data)

    def read_credentials(self) -> dict[str, Any]:
        """The parsed ``credentials.json``; FileNotFoundError if there is none."""
        document: dict[str, Any] = json.loads(self.credentials_path.read_bytes())
        return document

    def credentials_bytes(self) -> bytes | None:
        """The exact bytes of ``credentials.json``, or None when it does not exist."""
        try:
            return self.credentials_path.read_bytes()
        except FileNotFoundError:
            return None

    def write_credentials(self, document: Mapping[str, Any] | str | bytes, *, file_mode: int = 0o600,
                          dir_mode: int = 0o700) -> bytes:
        """Write ``credentials.json`` as another tool would and return its bytes; its secrets join the canary's."""
        if isinstance(document, Mapping):
            document = json.dumps(document, indent=2)
        data = document.encode() if isinstance(document, str) else document
        self.config_dir.mkdir(parents=True, exist_ok=True)
        os.chmod(self.config_dir, dir_mode)
        fd = os.open(self.credentials_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.chmod(self.credentials_path, file_mode)
        self.canary.collect_credentials(self.credentials_path)
        return data

    def write_config(self, settings: Mapping[str, Any]) -> Path:
        """Write ``config.json`` (e.g. ``{"credential_store": "keyring"}``) in the configuration directory."""
        self.config_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        path = self.config_dir / "config.json"
        path.write_text(json.dumps(dict(settings)), encoding="utf-8")
        return path

    # -- the secret canary -----------------------------------------------------------------------

    def secret(self, value: str) -> str:
        """Register ``value`` as a secret that no output may show, whole or in part; return it."""
        return self.canary.secret(value)

    def output_texts(self, exclude_stdout_of: Callable[[CliResult], bool] | None = None) -> list[tuple[str, str]]:
        """Every kept run's output and every log file, labelled.

        The stdout of a run that ``exclude_stdout_of`` picks (by default: a
        command that prints a secret by design, such as ``auth token``) is
        left out.
        """
        texts = []
        for run in self.runs:
            if exclude_stdout_of(run) if exclude_stdout_of else prints_a_secret(run.args):
                texts.append((f"the stderr of {shown_command(run.args)}", run.stderr))
            else:
                texts.append((f"the output of {shown_command(run.args)}", run.output))
        for path in self.log_files:
            if path.exists():
                texts.append((f"the log file {path.name}", path.read_text(encoding="utf-8", errors="replace")))
        return texts

    def check_canary(self) -> None:
        """Fail if any run's output or log file shows a secret or a piece of one.

        The secrets: those registered with :meth:`secret`, those stored in
        :attr:`credential_files`, and every credential the started sandboxes
        received.
        """
        for sandbox in self.sandboxes:
            self.canary.collect_sandbox(sandbox)
        for path in self.credential_files:
            self.canary.collect_credentials(path)
        self.canary.check(self.output_texts())
