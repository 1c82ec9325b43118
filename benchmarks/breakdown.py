"""Where the login callback's extra time goes: a diagnostic, not a user path.

Run from the repository root::

    python benchmarks/breakdown.py            # about a minute
    python benchmarks/breakdown.py --profile  # and cProfile's view of ours

The callback's token exchange and user request are answered here by a
canned transport (``requests``' adapter replaced: the bodies the emulator
sends, no socket), so that a callback's CPU time is the Python work of
Flask, Authlib, requests and the extension only, steady enough to resolve a
few microseconds. ``run.py`` measures the real path, over loopback HTTP.

Then steps are removed from the wrapped side one at a time (each patched
out around the call, outside the timing): bare, wrapped, and wrapped
without the step take turns call by call, and the step's cost is the
paired difference wrapped - wrapped without it. What the steps do not
explain is the wrapper itself: resolving the client, the
:class:`~flask_oauth_recover.callback.CallbackRun`, reading the state
data, the response built once more.
"""

from __future__ import annotations

import argparse
import cProfile
import functools
import io
import json
import logging
import pstats
import sys
from collections.abc import Callable
from collections.abc import Iterator
from contextlib import ExitStack
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from unittest import mock
from urllib.parse import parse_qsl
from urllib.parse import urlencode
from urllib.parse import urlsplit

import requests
from requests.adapters import HTTPAdapter
from requests.structures import CaseInsensitiveDict

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_app import PROFILE  # noqa: E402
from bench_app import create_app  # noqa: E402
from browser import Browser  # noqa: E402
from browser import call  # noqa: E402
from browser import environ_for  # noqa: E402
from flask import Flask  # noqa: E402
from flask import g  # noqa: E402
from paired import CPU  # noqa: E402
from paired import Paired  # noqa: E402
from paired import Sample  # noqa: E402
from paired import alternating  # noqa: E402

import flask_oauth_recover.callback as callback_module  # noqa: E402
import flask_oauth_recover.token_response as token_module  # noqa: E402
from flask_oauth_recover.callback_params import CallbackParams  # noqa: E402

PROVIDER = "http://127.0.0.1:9"  # never reached: the transport is canned
TOKEN = {"access_token": "gho_canned", "token_type": "bearer", "scope": "read:user"}
USER = {"login": "octocat", "id": 1, "name": "The Octocat"}
BARE = "bare"
WRAPPED = "wrapped"
ABLATED = "wrapped without the step"


def canned_send(
    adapter: HTTPAdapter, request: requests.PreparedRequest, **kwargs: Any
) -> requests.Response:
    """The emulator's answers, without a socket."""
    body = TOKEN if "access_token" in (request.url or "") else USER
    response = requests.Response()
    response.status_code = 200
    response.headers = CaseInsensitiveDict({"Content-Type": "application/json"})
    response._content = json.dumps(body).encode()
    response.encoding = "utf-8"
    response.url = request.url or ""
    response.request = request
    response.connection = adapter
    return response


@contextmanager
def canned_transport() -> Iterator[None]:
    with mock.patch.object(HTTPAdapter, "send", canned_send):
        yield


def callback_environ(app: Flask) -> dict[str, Any]:
    """A callback request as a provider sends the browser back: the state
    of a fresh login, pending in its session cookie, and a code."""
    browser = Browser(app)
    login = browser.get("/login")
    state = dict(parse_qsl(urlsplit(login.location or "").query))["state"]
    query = urlencode({"code": "0123456789abcdef0123", "state": state})
    return environ_for(f"/callback?{query}", browser.cookie_header("/callback"))


def one_callback(app: Flask, patches: Callable[[], ExitStack] | None = None) -> Sample:
    """A fresh login's callback (the login untimed); its time."""
    environ = callback_environ(app)
    with patches() if patches is not None else ExitStack():
        answer = call(app, environ)
    if answer.status != 302 or answer.location != PROFILE:
        raise RuntimeError(f"the callback answered {answer.status}")
    return answer.sample


# -- the steps -------------------------------------------------------------------


def _checked_only(resp: requests.Response) -> requests.Response:
    # What the rest of the callback needs of the check: the response kept.
    setattr(g, token_module.SENT_KEY, resp)
    return resp


def _params_unchecked(values: Any) -> CallbackParams:
    return CallbackParams(values.get("code"), values.get("state"), None, None, None)


def _view_only(run: Any, view: Callable[..., Any], args: Any, kwargs: Any) -> Any:
    return view(*args, **kwargs)


#: Each step, and how to take it out of the wrapped side.
STEPS: dict[str, list[tuple[Any, str, Any]]] = {
    "all the callback's checks (CallbackRun)": [
        (callback_module.CallbackRun, "__call__", _view_only),
    ],
    "double-click claim (claim, record and release)": [
        (callback_module, "claim_callback", lambda *args: None),
    ],
    "callback cookie (remember_finished)": [
        (callback_module, "remember_finished", lambda *args: None),
    ],
    "token-response check": [
        (token_module, "check_response", _checked_only),
    ],
    "callback parameter check": [
        (callback_module, "read_callback_params", _params_unchecked),
    ],
}


def without(step: str) -> Callable[[], ExitStack]:
    def patches() -> ExitStack:
        stack = ExitStack()
        for target, name, replacement in STEPS[step]:
            stack.enter_context(mock.patch.object(target, name, replacement))
        return stack

    return patches


def describe(paired: Paired) -> str:
    low, high = paired.difference_interval
    return f"{paired.difference:+7.1f} µs [{low:+.1f}, {high:+.1f}]"


def measure(rounds: int, calls: int, steps: list[str]) -> None:
    bare = create_app(wrapped=False, provider_url=PROVIDER)
    wrapped = create_app(wrapped=True, provider_url=PROVIDER)
    print(
        f"Canned transport; {rounds} rounds of {calls} callbacks per side; "
        "CPU µs, median of paired differences [95% CI]."
    )
    total = alternating(
        {
            BARE: functools.partial(one_callback, bare),
            WRAPPED: functools.partial(one_callback, wrapped),
        },
        rounds,
        calls,
        warmup=50,
    )
    paired = total.paired(CPU, BARE, WRAPPED)
    print(
        f"\n{'callback, bare':<44}{paired.median_without:8.1f} µs\n"
        f"{'callback, wrapped - bare':<44}{describe(paired)}\n"
    )
    for step in steps:
        rounds_ = alternating(
            {
                WRAPPED: functools.partial(one_callback, wrapped),
                ABLATED: functools.partial(one_callback, wrapped, without(step)),
            },
            rounds,
            calls,
            warmup=20,
        )
        print(f"{step:<44}{describe(rounds_.paired(CPU, ABLATED, WRAPPED))}")


def profile(calls: int) -> None:
    """cProfile over ``calls`` wrapped callbacks: our functions by
    cumulative time (the profiler's own overhead inflates every call)."""
    wrapped = create_app(wrapped=True, provider_url=PROVIDER)
    for _ in range(50):
        one_callback(wrapped)
    profiler = cProfile.Profile()
    for _ in range(calls):
        environ = callback_environ(wrapped)
        profiler.enable()
        call(wrapped, environ)
        profiler.disable()
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    stats.sort_stats("cumulative").print_stats("flask_oauth_recover", 40)
    print(out.getvalue())


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--calls", type=int, default=100)
    parser.add_argument("--step", action="append", choices=list(STEPS))
    parser.add_argument("--profile", action="store_true", help="cProfile ours too")
    parser.add_argument("--quick", action="store_true", help="a smoke run")
    args = parser.parse_args(argv)
    logger = logging.getLogger("flask_oauth_recover")
    logger.addHandler(logging.NullHandler())
    logger.propagate = False
    rounds, calls = (3, 10) if args.quick else (args.rounds, args.calls)
    with canned_transport():
        measure(rounds, calls, args.step or list(STEPS))
        if args.profile:
            profile(calls * 10)


if __name__ == "__main__":
    main()
