"""Requests the test client cannot make: raw WSGI calls."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Flask
from werkzeug.test import Cookie
from werkzeug.test import EnvironBuilder
from werkzeug.test import run_wsgi_app
from werkzeug.wrappers import Response

JSON = "application/json"


def raw_callback(
    app: Flask,
    location: str,
    cookie: Cookie | None = None,
    accept: str = JSON,
    **headers: str,
) -> Response:
    """The callback at ``location`` as raw WSGI: Werkzeug's test client
    cannot send a Host header it cannot itself parse."""
    if cookie is not None:
        headers["Cookie"] = f"{cookie.key}={cookie.value}"
    parts = urlsplit(location)
    environ = EnvironBuilder(
        path=parts.path,
        query_string=parts.query,
        headers=[("Accept", accept), *headers.items()],
    ).get_environ()
    body, status, response_headers = run_wsgi_app(app, environ, buffered=True)
    return Response(b"".join(body), status=status, headers=response_headers)
