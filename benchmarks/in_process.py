"""The success path measured in process: no HTTP server between the
benchmark and the app, so the figures carry the app's own work only.

The two variants of ``bench_app`` are built side by side in this process
and driven through Flask's test client. A login's token exchange and user
request still go over loopback HTTP to the provider emulator, which runs
in a process of its own (see ``run.py``): in a thread here it would take
the GIL while the callback waits on it, and the callback's timings would
carry the emulator's Python work and the switches between the two threads.

Measured, in paired rounds where each side goes first as often as the
other:

1. the full login callback (token exchange and user request included),
   one fresh browser per login, only the callback request timed; the two
   sides take turns login by login;
2. the no-I/O callback view, the WSGI app called directly: what the
   wrapper alone costs, in µs;
3. on the wrapped side only, the error page and the restart redirect.

Each round's figure is the median of its calls; the collector is paused
inside a round so that a collection does not land on one side only.
"""

from __future__ import annotations

import functools
import math
import statistics
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl
from urllib.parse import urlencode
from urllib.parse import urlsplit

import requests
from bench_app import create_app
from flask import Flask
from paired import WITH
from paired import WITHOUT
from paired import Paired
from paired import alternating
from paired import collector_paused
from paired import interleaved
from werkzeug.test import EnvironBuilder

TIMEOUT = 15.0


@dataclass
class Settings:
    """How long to measure in process.

    :param rounds: paired rounds of each measurement.
    :param logins: logins per side per round.
    :param calls: no-I/O calls per side per round.
    :param failures: error-page and restart calls per round.
    :param warmup: logins and calls per side before the first round.
    :param a_a: both sides without the extension: what the figures read
        when there is nothing to find, i.e. their noise and bias.
    """

    rounds: int = 30
    logins: int = 20
    calls: int = 400
    failures: int = 100
    warmup: int = 50
    a_a: bool = False


@dataclass
class Figures:
    """Per-round medians in µs, side by side, and the wrapped side's
    failure paths."""

    login: Paired
    no_io: Paired
    error_page: float
    restart: float
    logins: int
    a_a: bool = False


def build_apps(provider: str, a_a: bool = False) -> dict[str, Flask]:
    """The bare and the wrapped variant, against ``provider``; with
    ``a_a``, two bare ones."""
    return {
        WITHOUT: create_app(wrapped=False, provider_url=provider),
        WITH: create_app(wrapped=not a_a, provider_url=provider),
    }


# -- a full login ----------------------------------------------------------------


def login_callback_us(app: Flask, browser: requests.Session) -> float:
    """One login in a fresh browser; the microseconds its callback took.

    The authorization step goes to the emulator through ``browser`` and is
    not timed; the callback's own token exchange and user request go over
    loopback HTTP from inside the view, as in production.
    """
    client = app.test_client()
    login = client.get("/login")
    if login.status_code != 302 or login.location is None:
        raise RuntimeError(f"/login answered {login.status}")
    authorize = browser.get(login.location, allow_redirects=False, timeout=TIMEOUT)
    callback = authorize.headers.get("Location")
    if not authorize.is_redirect or callback is None:
        raise RuntimeError(f"the emulator answered {authorize.status_code}")
    started = time.perf_counter_ns()
    response = client.get(callback)
    elapsed = time.perf_counter_ns() - started
    if response.status_code != 302 or response.location != "/profile":
        raise RuntimeError(f"the callback answered {response.status}, not a login")
    return elapsed / 1e3


# -- one view, called directly ---------------------------------------------------


def callback_environ(app: Flask, path: str) -> dict[str, Any]:
    """A WSGI environ for a callback on ``path`` whose state is pending in
    the session cookie, as after a real login."""
    client = app.test_client()
    login = client.get("/login")
    state = dict(parse_qsl(urlsplit(login.location or "").query))["state"]
    cookie = client.get_cookie("session")
    if cookie is None:
        raise RuntimeError("/login set no session cookie")
    builder = EnvironBuilder(
        path=path,
        base_url="http://127.0.0.1:5000",
        query_string=urlencode({"code": "0123456789abcdef0123", "state": state}),
        headers=[("Cookie", f"session={cookie.value}")],
    )
    try:
        return builder.get_environ()
    finally:
        builder.close()


def call_round(app: Flask, environ: dict[str, Any], calls: int) -> float:
    """The median time of one WSGI call, response body consumed, in µs."""
    statuses: list[str] = []

    def start_response(status: str, headers: Any, exc_info: Any = None) -> Any:
        statuses.append(status)

    timings: list[int] = []
    wsgi_app = app.wsgi_app
    with collector_paused():
        for _ in range(calls):
            fresh = dict(environ)
            started = time.perf_counter_ns()
            body = wsgi_app(fresh, start_response)
            for _chunk in body:
                pass
            close = getattr(body, "close", None)
            if close is not None:
                close()
            timings.append(time.perf_counter_ns() - started)
    if statuses[-1][:1] not in ("2", "3", "5"):
        raise RuntimeError(f"unexpected status {statuses[-1]}")
    return statistics.median(timings) / 1e3


# -- all of it -------------------------------------------------------------------


def measure(settings: Settings, provider: str, verbose: bool = False) -> Figures:
    """Build both variants against ``provider`` and measure them.

    :param settings: rounds and calls.
    :param provider: the emulator's base URL, on loopback.
    :param verbose: print each round's figures.
    """
    apps = build_apps(provider, settings.a_a)
    with requests.Session() as browser:
        print(
            f"In process: {settings.rounds} rounds of {settings.logins} logins "
            "per side, the sides taking turns ..."
        )
        logins = {
            side: functools.partial(login_callback_us, app, browser)
            for side, app in apps.items()
        }
        alternating(logins, 1, settings.warmup)
        login = Paired.of(alternating(logins, settings.rounds, settings.logins))

    print(
        f"In process: {settings.rounds} paired rounds of {settings.calls} "
        "no-I/O calls per side ..."
    )
    environs = {side: callback_environ(app, "/no-io") for side, app in apps.items()}
    for side, app in apps.items():
        call_round(app, environs[side], settings.warmup)
    no_io = Paired.of(
        interleaved(
            {
                side: functools.partial(call_round, app, environs[side], settings.calls)
                for side, app in apps.items()
            },
            settings.rounds,
        )
    )

    failures = {"error page": [math.nan], "restart": [math.nan]}
    if not settings.a_a:  # a bare app has no failure pages to time
        wrapped = apps[WITH]
        failures = interleaved(
            {
                name: functools.partial(
                    call_round,
                    wrapped,
                    callback_environ(wrapped, f"/fails/{error}"),
                    settings.failures,
                )
                for name, error in (
                    ("error page", "incorrect_client_credentials"),
                    ("restart", "bad_verification_code"),
                )
            },
            max(settings.rounds // 3, 2),
        )
    if verbose:
        for name, paired in (("login callback", login), ("no-I/O", no_io)):
            for side, figures in ((WITHOUT, paired.without), (WITH, paired.with_)):
                rounds = " ".join(f"{figure:.1f}" for figure in figures)
                print(f"  {name} µs, {side:>7}: {rounds}")
    return Figures(
        login=login,
        no_io=no_io,
        error_page=statistics.median(failures["error page"]),
        restart=statistics.median(failures["restart"]),
        logins=2 * settings.rounds * settings.logins,
        a_a=settings.a_a,
    )
