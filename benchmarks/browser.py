"""A browser, as far as the benchmark needs one: it keeps an app's cookies
with the path each was set for, sends each only where a browser would, and
calls the app's WSGI callable directly, timing nothing but the app's own
work (no test client, no HTTP server between them).

The authorization step goes to the provider emulator over loopback HTTP,
as a browser's would, untimed.
"""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field
from http.cookies import SimpleCookie
from typing import Any
from urllib.parse import urlsplit

import requests
from flask import Flask
from paired import Sample
from paired import Stopwatch
from werkzeug.test import EnvironBuilder

TIMEOUT = 15.0
BASE_URL = "http://localhost:5000"


@dataclass
class Answer:
    """What the app answered, and how long it took."""

    status: int
    headers: list[tuple[str, str]]
    body: bytes
    sample: Sample

    @property
    def location(self) -> str | None:
        return self.header("Location")

    def header(self, name: str) -> str | None:
        for key, value in self.headers:
            if key.lower() == name.lower():
                return value
        return None

    def set_cookies(self) -> dict[str, str]:
        """Each ``Set-Cookie`` header of the answer, by cookie name."""
        found: dict[str, str] = {}
        for key, value in self.headers:
            if key.lower() == "set-cookie":
                found[value.split("=", 1)[0]] = value
        return found


def environ_for(url: str, cookie_header: str = "") -> dict[str, Any]:
    """A WSGI environ for a GET of ``url`` (a path or a URL on the app)."""
    parts = urlsplit(url)
    headers = [("Cookie", cookie_header)] if cookie_header else []
    builder = EnvironBuilder(
        path=parts.path or "/",
        base_url=BASE_URL,
        query_string=parts.query,
        headers=headers,
    )
    try:
        return builder.get_environ()
    finally:
        builder.close()


def call(app: Flask, environ: dict[str, Any]) -> Answer:
    """One WSGI call of ``app``, its body read; only the app's work timed."""
    captured: list[Any] = []

    def start_response(status: str, headers: Any, exc_info: Any = None) -> Any:
        captured[:] = [status, list(headers)]
        return lambda data: None

    with Stopwatch() as watch:
        body = app.wsgi_app(environ, start_response)
        try:
            content = b"".join(body)
        finally:
            close = getattr(body, "close", None)
            if close is not None:
                close()
    status, headers = captured
    return Answer(int(status.split()[0]), headers, content, watch.sample)


@dataclass
class Browser:
    """One browser's cookies for one app.

    :param app: the app it talks to.
    :param cookies: name -> (value, path).
    """

    app: Flask
    cookies: dict[str, tuple[str, str]] = field(default_factory=dict)

    def cookie_header(self, path: str) -> str:
        """The ``Cookie`` header a browser sends to ``path`` (RFC 6265
        path matching)."""
        return "; ".join(
            f"{name}={value}"
            for name, (value, cookie_path) in self.cookies.items()
            if _path_matches(path, cookie_path)
        )

    def get(self, url: str) -> Answer:
        """GET ``url`` from the app, keeping the cookies it sets."""
        path = urlsplit(url).path or "/"
        answer = call(self.app, environ_for(url, self.cookie_header(path)))
        self.keep(answer)
        return answer

    def keep(self, answer: Answer) -> None:
        """Store or delete the cookies ``answer`` sets."""
        for header in answer.set_cookies().values():
            jar: SimpleCookie = SimpleCookie()
            jar.load(header)
            for name, morsel in jar.items():
                if morsel["max-age"] == "0" or morsel["expires"].startswith(
                    "Thu, 01 Jan 1970"
                ):
                    self.cookies.pop(name, None)
                else:
                    self.cookies[name] = (morsel.value, morsel["path"] or "/")


def authorize(http: requests.Session, url: str) -> str:
    """The browser's trip to the provider: the callback URL it answers with."""
    answer = http.get(url, allow_redirects=False, timeout=TIMEOUT)
    location = answer.headers.get("Location")
    if not answer.is_redirect or location is None:
        raise RuntimeError(f"the emulator answered {answer.status_code}")
    return location


def _path_matches(request_path: str, cookie_path: str) -> bool:
    if request_path == cookie_path:
        return True
    if not request_path.startswith(cookie_path):
        return False
    return cookie_path.endswith("/") or request_path[len(cookie_path)] == "/"
