"""Real servers for the integration tests, on loopback ports only:
``redis-server`` from Debian and gunicorn running one of ``tests/apps``."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from types import TracebackType

import pytest
import redis
import requests

REPO = Path(__file__).resolve().parents[2]
#: The most seconds a server may take to start answering.
START_TIMEOUT = 30.0
REDIS_MISSING = (
    "redis-server is not installed; the distributed tests need it: "
    "apt-get install redis-server (scripts/test installs it)"
)


def free_port() -> int:
    """A loopback port that was free a moment ago."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


def wait_until(
    ready: Callable[[], bool],
    what: str,
    process: subprocess.Popen[bytes],
    log: Path,
    timeout: float = START_TIMEOUT,
) -> None:
    """Poll ``ready`` until it is true; fail early if ``process`` died.

    :raises RuntimeError: on timeout or exit, with the end of ``log``.
    """
    deadline = time.monotonic() + timeout
    delay = 0.01
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(
                f"{what} exited with {process.returncode}:\n{_tail(log)}"
            )
        if ready():
            return
        time.sleep(delay)
        delay = min(delay * 2, 0.2)
    raise RuntimeError(f"{what} not ready after {timeout} s:\n{_tail(log)}")


def stop_process(process: subprocess.Popen[bytes], timeout: float = 10.0) -> None:
    """Ask ``process`` to stop, then make it."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout)


class _Server:
    """A subprocess with a log file, usable as a context manager."""

    process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        """Start on a free port. Another process may take the port between
        probing and binding, so a failed start is tried again, twice."""
        for attempt in range(3):
            try:
                self._start()
                return
            except RuntimeError:
                self.stop()
                if attempt == 2:
                    raise

    def _start(self) -> None:
        raise NotImplementedError

    def stop(self) -> None:
        """Stop the server; does nothing if it is not running."""
        if self.process is not None:
            stop_process(self.process)
            self.process = None

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


class RedisServer(_Server):
    """``redis-server`` on ``127.0.0.1``, without persistence.

    :param directory: its working directory and log location.
    """

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.executable = "redis-server"
        self.port = 0

    @property
    def url(self) -> str:
        """``redis://127.0.0.1:PORT/0``."""
        return f"redis://127.0.0.1:{self.port}/0"

    def client(self, **kwargs: object) -> redis.Redis:
        """A new redis-py client for this server."""
        return redis.Redis.from_url(self.url, **kwargs)

    def __enter__(self) -> RedisServer:
        executable = shutil.which("redis-server")
        if executable is None:
            pytest.fail(REDIS_MISSING, pytrace=False)
        self.executable = executable
        self.start()
        return self

    def _start(self) -> None:
        executable = self.executable
        self.port = free_port()
        log = self.directory / f"redis-{self.port}.log"
        command = [
            executable,
            "--bind",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(self.directory),
            "--logfile",
            str(log),
        ]
        log.touch()
        self.process = subprocess.Popen(
            command, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT
        )
        client = self.client(socket_connect_timeout=1, socket_timeout=1)
        wait_until(lambda: _pings(client), "redis-server", self.process, log)
        client.close()


class GunicornServer(_Server):
    """gunicorn serving ``app`` (a ``module:factory()`` spec) on a loopback
    port, from the repository root.

    :param app: the gunicorn application spec.
    :param env: environment variables for the app.
    :param directory: where the log goes.
    :param label: a name for messages and the log file.
    :param workers: worker processes.
    """

    def __init__(
        self,
        app: str,
        env: dict[str, str],
        directory: Path,
        label: str,
        workers: int = 2,
    ) -> None:
        self.app = app
        self.env = env
        self.directory = directory
        self.label = label
        self.workers = workers
        self.port = 0

    @property
    def url(self) -> str:
        """``http://127.0.0.1:PORT``."""
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> GunicornServer:
        self.start()
        return self

    def _start(self) -> None:
        self.port = free_port()
        log = self.directory / f"gunicorn-{self.label}-{self.port}.log"
        command = [
            sys.executable,
            "-m",
            "gunicorn",
            "--workers",
            str(self.workers),
            "--bind",
            f"127.0.0.1:{self.port}",
            "--graceful-timeout",
            "5",
            "--log-level",
            "warning",
            self.app,
        ]
        env = {**os.environ, **self.env, "PYTHONPATH": str(REPO)}
        with log.open("wb") as output:
            self.process = subprocess.Popen(
                command, cwd=REPO, env=env, stdout=output, stderr=subprocess.STDOUT
            )
        health = f"{self.url}/health"
        wait_until(
            lambda: _answers(health), f"gunicorn {self.label}", self.process, log
        )


def _pings(client: redis.Redis) -> bool:
    try:
        return bool(client.ping())
    except redis.RedisError:
        return False


def _answers(url: str) -> bool:
    try:
        return requests.get(url, timeout=1).status_code == 200
    except requests.RequestException:
        return False


def _tail(log: Path, lines: int = 30) -> str:
    try:
        return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"
