"""The callback cookie: where a finished login went, and what "try again"
repeats; scoped to the callback, short-lived, signed, bound to its client."""

from __future__ import annotations

from collections.abc import Iterator
from http.cookies import SimpleCookie

import pytest
from flask import Flask
from werkzeug.wrappers import Response

import flask_oauth_recover.callback_cookie as callback_cookie
from flask_oauth_recover.callback_cookie import COOKIE_NAME
from flask_oauth_recover.callback_cookie import REPLAY_SECONDS
from flask_oauth_recover.callback_cookie import finished_location
from flask_oauth_recover.callback_cookie import remember_finished
from flask_oauth_recover.callback_cookie import remember_recipe
from flask_oauth_recover.callback_cookie import remembered_recipe
from flask_oauth_recover.restart import Recipe
from flask_oauth_recover.signing import b64
from flask_oauth_recover.signing import sign

NOW = 1_800_000_000.0


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def time(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    fake = Clock()
    monkeypatch.setattr(callback_cookie, "time", fake)
    return fake


@pytest.fixture
def app() -> Iterator[Flask]:
    app = Flask(__name__)
    app.secret_key = "cookie-test-key"
    yield app


def set_cookie(app: Flask, write: object, path: str = "/auth/github") -> str:
    """The Set-Cookie header ``write(response)`` makes at ``path``."""
    response = Response()
    with app.test_request_context(path, base_url="https://app.example"):
        write(response)  # type: ignore[operator]
    [header] = response.headers.getlist("Set-Cookie")
    return header


def value_of(header: str) -> str:
    cookie: SimpleCookie = SimpleCookie()
    cookie.load(header)
    return cookie[COOKIE_NAME].value


def read(app: Flask, value: str, read_it: object, path: str = "/auth/github") -> object:
    headers = {"Cookie": f"{COOKIE_NAME}={value}"}
    with app.test_request_context(path, headers=headers):
        return read_it()  # type: ignore[operator]


def test_a_finished_login_reads_back(app: Flask, clock: Clock) -> None:
    header = set_cookie(
        app, lambda r: remember_finished(r, "github", "the-state", "/cart?x=1")
    )

    found = read(app, value_of(header), lambda: finished_location("github", "s"))
    assert found is None
    found = read(
        app, value_of(header), lambda: finished_location("github", "the-state")
    )
    assert found == "/cart?x=1"


def test_the_cookie_is_scoped_short_lived_and_out_of_scripts(app: Flask) -> None:
    header = set_cookie(
        app,
        lambda r: remember_finished(r, "github", "s", "/"),
        path="/auth/git hub",
    )

    attributes = {part.strip().split("=")[0].lower() for part in header.split(";")}
    assert "Path=/auth/git%20hub" in header
    assert f"Max-Age={REPLAY_SECONDS}" in header
    assert {"httponly", "secure"} <= attributes
    assert "SameSite=Lax" in header
    assert REPLAY_SECONDS == 600


def test_over_plain_http_the_cookie_is_not_secure(app: Flask) -> None:
    response = Response()
    with app.test_request_context("/callback", base_url="http://localhost"):
        remember_finished(response, "github", "s", "/")

    assert "Secure" not in response.headers["Set-Cookie"]


def test_a_finished_login_is_forgotten_after_the_window(
    app: Flask, clock: Clock
) -> None:
    value = value_of(set_cookie(app, lambda r: remember_finished(r, "g", "s", "/x")))

    clock.now = NOW + REPLAY_SECONDS - 1
    assert read(app, value, lambda: finished_location("g", "s")) == "/x"
    clock.now = NOW + REPLAY_SECONDS
    assert read(app, value, lambda: finished_location("g", "s")) is None


def test_another_client_s_cookie_is_not_this_one_s(app: Flask) -> None:
    value = value_of(set_cookie(app, lambda r: remember_finished(r, "g", "s", "/x")))

    assert read(app, value, lambda: finished_location("gitlab", "s")) is None
    assert read(app, value, lambda: remembered_recipe("g")) is None


def signed(
    app: Flask, payload: str, client: str = "g", state: str | None = None
) -> str:
    """``payload`` signed as the extension signs a cookie; for ``state``,
    as a finished login's record is."""
    message = payload if state is None else f"{payload}\0{state}"
    with app.test_request_context():
        return f"{payload}.{sign(message, client, 'callback cookie v1')}"


@pytest.mark.parametrize(
    "payload",
    [
        "d.{at}",
        "d.{at}.{to}.extra",
        "x.{at}.{to}",
        "d.not-a-time.{to}",
        "d.{at}.%%%",
        "d.{at}." + b64(b"\xff\xfe"),
        "r.{at}.{to}",
    ],
)
def test_a_malformed_finished_record_is_ignored(
    app: Flask, clock: Clock, payload: str
) -> None:
    payload = payload.format(at=int(NOW), to=b64(b"/x"))

    value = signed(app, payload, state="s")
    assert read(app, value, lambda: finished_location("g", "s")) is None


def test_a_finished_record_signed_without_its_state_is_ignored(
    app: Flask, clock: Clock
) -> None:
    payload = f"d.{int(NOW)}.{b64(b'/x')}"

    assert (
        read(app, signed(app, payload, state="s"), lambda: finished_location("g", "s"))
        == "/x"
    )
    assert read(app, signed(app, payload), lambda: finished_location("g", "s")) is None
    assert (
        read(app, signed(app, payload, state="t"), lambda: finished_location("g", "s"))
        is None
    )


def test_a_tampered_or_unsigned_cookie_is_ignored(app: Flask, clock: Clock) -> None:
    value = value_of(set_cookie(app, lambda r: remember_finished(r, "g", "s", "/x")))
    payload, _, mac = value.rpartition(".")
    evil = payload.rsplit(".", 1)[0] + "." + b64(b"https://evil.example/")

    assert read(app, f"{evil}.{mac}", lambda: finished_location("g", "s")) is None
    assert read(app, payload, lambda: finished_location("g", "s")) is None
    assert read(app, "", lambda: finished_location("g", "s")) is None
    assert read(app, "." + mac, lambda: finished_location("g", "s")) is None


def test_no_cookie_no_record(app: Flask) -> None:
    with app.test_request_context("/auth/github"):
        assert finished_location("g", "s") is None
        assert remembered_recipe("g") is None


def test_a_recipe_reads_back(app: Flask) -> None:
    recipe = Recipe("https://app.example/cb?next=%2Fx", {"scope": "a b", "x": "é"})
    value = value_of(set_cookie(app, lambda r: remember_recipe(r, "g", recipe)))

    assert read(app, value, lambda: remembered_recipe("g")) == recipe
    assert read(app, value, lambda: finished_location("g", "s")) is None


def test_a_recipe_with_the_default_redirect_uri_reads_back(app: Flask) -> None:
    value = value_of(set_cookie(app, lambda r: remember_recipe(r, "g", Recipe(None))))

    assert read(app, value, lambda: remembered_recipe("g")) == Recipe(None, {})


@pytest.mark.parametrize(
    "payload",
    [
        "r",
        "r.a.b",
        "r." + b64(b"not json"),
        "r." + b64(b'{"a": 1}'),
        "r." + b64(b"[1, {}]"),
        "r." + b64(b'["https://a.example/", []]'),
        "r." + b64(b'["https://a.example/"]'),
        "d." + b64(b'["https://a.example/", {}]'),
    ],
)
def test_a_malformed_recipe_is_ignored(app: Flask, payload: str) -> None:
    assert read(app, signed(app, payload), lambda: remembered_recipe("g")) is None


def test_recipe_values_are_read_as_text(app: Flask) -> None:
    payload = "r." + b64(b'["https://a.example/", {"n": 1}]')

    recipe = read(app, signed(app, payload), lambda: remembered_recipe("g"))

    assert recipe == Recipe("https://a.example/", {"n": "1"})


def test_a_framework_s_destination_rides_with_the_recipe(app: Flask) -> None:
    recipe = Recipe("https://app.example/cb", {}, "https://app.example/dashboards/")
    value = value_of(set_cookie(app, lambda r: remember_recipe(r, "g", recipe)))

    assert read(app, value, lambda: remembered_recipe("g")) == recipe


@pytest.mark.parametrize(
    "data", [b'["https://a.example/", {}, 42]', b'["https://a.example/", {}, "/x", 1]']
)
def test_a_malformed_destination_is_ignored(app: Flask, data: bytes) -> None:
    payload = "r." + b64(data)

    assert read(app, signed(app, payload), lambda: remembered_recipe("g")) is None
