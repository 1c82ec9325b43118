"""A Flask app served by a real WSGI server in a thread, on a loopback port,
for the browser tests: the exceptions it does not handle are collected as
they happen, so a test can say that none escaped."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from flask import Flask
from flask import got_request_exception
from werkzeug.serving import BaseWSGIServer
from werkzeug.serving import WSGIRequestHandler
from werkzeug.serving import make_server


class _QuietHandler(WSGIRequestHandler):
    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        pass


@contextmanager
def served(app: Flask, name: str, exceptions: list[BaseException]) -> Iterator[str]:
    """Serve ``app`` on ``localhost`` until the block ends; yields its base
    URL (``localhost``: the emulator is on ``127.0.0.1``, another site, as
    github.com is).

    :param app: the Flask app.
    :param name: the serving thread's name.
    :param exceptions: where the exceptions the app does not handle go.
    """
    server: BaseWSGIServer = make_server(
        "127.0.0.1", 0, app, threaded=True, request_handler=_QuietHandler
    )
    thread = threading.Thread(
        target=server.serve_forever,
        kwargs={"poll_interval": 0.05},
        name=name,
        daemon=True,
    )
    thread.start()

    def record(sender: Flask, exception: BaseException, **extra: Any) -> None:
        exceptions.append(exception)

    got_request_exception.connect(record, app)
    try:
        yield f"http://localhost:{server.port}"
    finally:
        got_request_exception.disconnect(record, app)
        server.shutdown()
        thread.join(timeout=5)
        server.server_close()
