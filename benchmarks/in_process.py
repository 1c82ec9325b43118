"""What a user pays, measured in one process: the same app built twice
(bare Authlib, and with ``OAuthRecover(app)`` + ``@recover.callback``),
driven by :class:`browser.Browser` through each app's WSGI callable, the
two sides taking turns call by call (see :mod:`paired`).

The provider emulator runs in a process of its own (see ``run.py``), so
its Python work never lands in this thread's CPU time; the callback's
token exchange and user request go to it over loopback HTTP from inside
the app's own view, unchanged: ``authorize_access_token()`` then
``get("user")``, as in production.

Measured, each in paired rounds:

- an unrelated route, anonymous (``/health``);
- an unrelated route for a signed-in user (``/profile``), with the cookies
  the browser holds after a real login on that side;
- the login route (``/login``): the state is minted there;
- the successful login callback, one fresh browser per login, only the
  callback request timed;
- on the wrapped side only, in turns with each other: the restart redirect
  (the provider refused the code: ``bad_verification_code``) and the
  error page (a wrong client secret: ``incorrect_client_credentials``),
  both on the real path through ``authorize_access_token``.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from dataclasses import field
from urllib.parse import urlsplit

import requests
from bench_app import PROFILE
from bench_app import create_app
from browser import TIMEOUT
from browser import Answer
from browser import Browser
from browser import authorize
from browser import call
from browser import environ_for
from flask import Flask
from paired import WITH
from paired import WITHOUT
from paired import Measurement
from paired import Rounds
from paired import Sample
from paired import alternating

#: The wrapped side's failure paths.
RESTART = "restart"
ERROR_PAGE = "error page"
FAILURES = "failures"
#: What can be measured, by name.
MEASUREMENTS = ("anonymous", "signed in", "login", "callback", FAILURES)


@dataclass
class Settings:
    """How long to measure.

    :param rounds: paired rounds of each measurement.
    :param calls: calls per side per round, for a route.
    :param logins: logins per side per round, for the callback.
    :param failures: failure-path logins per kind per round.
    :param warmup: calls or logins per side before the first round.
    :param a_a: both sides without the extension: what the figures read
        when there is nothing to find.
    :param only: the measurements to take (:data:`MEASUREMENTS`); all when
        empty.
    """

    rounds: int = 40
    calls: int = 300
    logins: int = 40
    failures: int = 10
    warmup: int = 50
    a_a: bool = False
    only: frozenset[str] = frozenset()


@dataclass
class Figures:
    """Per-round medians of each measurement."""

    routes: dict[str, Rounds] = field(default_factory=dict)
    failures: Rounds | None = None


def build_apps(provider: str, a_a: bool = False) -> dict[str, Flask]:
    """The bare and the wrapped variant; with ``a_a``, two bare ones."""
    return {
        WITHOUT: create_app(wrapped=False, provider_url=provider),
        WITH: create_app(wrapped=not a_a, provider_url=provider),
    }


# -- one login -------------------------------------------------------------------


def log_in(app: Flask, http: requests.Session) -> tuple[Browser, Answer]:
    """A login in a fresh browser: the browser after it, and the callback's
    answer (the only request timed)."""
    browser = Browser(app)
    login = browser.get("/login")
    if login.status != 302 or login.location is None:
        raise RuntimeError(f"/login answered {login.status}")
    callback = browser.get(authorize(http, login.location))
    return browser, callback


def successful_callback(app: Flask, http: requests.Session) -> Sample:
    """One login; its callback's time."""
    _, callback = log_in(app, http)
    if callback.status != 302 or callback.location != PROFILE:
        raise RuntimeError(f"the callback answered {callback.status}, not a login")
    return callback.sample


def signed_in_browser(app: Flask, http: requests.Session) -> Browser:
    """A browser just after a real login."""
    browser, callback = log_in(app, http)
    if callback.location != PROFILE:
        raise RuntimeError("the login did not sign in")
    return browser


def reject_next_code(http: requests.Session, provider: str) -> None:
    """Have the emulator refuse the next token request's code, as GitHub
    does a used or expired one (``bad_verification_code``)."""
    http.post(
        f"{provider}/_emulator/faults",
        data=json.dumps({"fault": "reject_codes", "n": 1}),
        timeout=TIMEOUT,
    ).raise_for_status()


def restarted_callback(app: Flask, http: requests.Session, provider: str) -> Sample:
    """A login whose code the provider refuses; the callback's time (the
    restart redirect)."""
    reject_next_code(http, provider)
    _, callback = log_in(app, http)
    location = callback.location or ""
    if callback.status != 302 or not location.startswith(provider):
        raise RuntimeError(f"the callback answered {callback.status}, not a restart")
    return callback.sample


def error_page_callback(app: Flask, http: requests.Session) -> Sample:
    """A login with a wrong client secret; the callback's time (the
    configuration page)."""
    _, callback = log_in(app, http)
    if callback.status != 500 or b"<html" not in callback.body:
        raise RuntimeError(f"the callback answered {callback.status}, not a page")
    return callback.sample


def route(app: Flask, url: str, browser: Browser | None = None) -> Measurement:
    """GET ``url`` again and again with the cookies ``browser`` holds (none
    when ``None``), never keeping what it sets."""
    path = urlsplit(url).path
    cookie = browser.cookie_header(path) if browser is not None else ""
    template = environ_for(url, cookie)

    def measure() -> Sample:
        answer = call(app, dict(template))
        if answer.status != 200:
            raise RuntimeError(f"{url} answered {answer.status}")
        return answer.sample

    return measure


def login_route(app: Flask) -> Measurement:
    """GET ``/login`` as a fresh visitor: the state is minted and saved."""
    template = environ_for("/login")

    def measure() -> Sample:
        answer = call(app, dict(template))
        if answer.status != 302:
            raise RuntimeError(f"/login answered {answer.status}")
        return answer.sample

    return measure


# -- all of it -------------------------------------------------------------------


def measure(settings: Settings, provider: str) -> Figures:
    """Build the variants against ``provider`` and measure them.

    :param settings: rounds and calls.
    :param provider: the emulator's base URL, on loopback.
    """
    apps = build_apps(provider, settings.a_a)
    figures = Figures()
    rounds, calls, warmup = settings.rounds, settings.calls, settings.warmup
    with requests.Session() as http:
        browsers = {side: signed_in_browser(app, http) for side, app in apps.items()}
        plan: list[tuple[str, dict[str, Measurement], int]] = [
            (
                "anonymous",
                {side: route(app, "/health") for side, app in apps.items()},
                calls,
            ),
            (
                "signed in",
                {
                    side: route(app, PROFILE, browsers[side])
                    for side, app in apps.items()
                },
                calls,
            ),
            ("login", {side: login_route(app) for side, app in apps.items()}, calls),
            (
                "callback",
                {
                    side: functools.partial(successful_callback, app, http)
                    for side, app in apps.items()
                },
                settings.logins,
            ),
        ]
        for name, sides, per_round in plan:
            if settings.only and name not in settings.only:
                continue
            print(f"  {name}: {rounds} rounds of {per_round} calls per side ...")
            figures.routes[name] = alternating(
                sides, rounds, per_round, min(warmup, per_round * 2)
            )
        if not settings.a_a and (not settings.only or FAILURES in settings.only):
            wrapped = apps[WITH]
            misconfigured = create_app(
                wrapped=True, provider_url=provider, client_secret="wrong-secret"
            )
            print(
                f"  restart and error page: {rounds} rounds of "
                f"{settings.failures} logins each ..."
            )
            figures.failures = alternating(
                {
                    RESTART: functools.partial(
                        restarted_callback, wrapped, http, provider
                    ),
                    ERROR_PAGE: functools.partial(
                        error_page_callback, misconfigured, http
                    ),
                },
                rounds,
                settings.failures,
                warmup=2,
            )
    return figures
