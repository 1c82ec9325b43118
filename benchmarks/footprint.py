"""What the extension leaves behind, in bytes and in imports.

- the session cookie after a login, each side, and what of it is ours
  (keys the extension put in the session); after a login that needed a
  restart, too;
- the callback cookie (``oauth_recover``): its size, and the path it is
  scoped to, the only path the browser sends it to;
- the import of ``flask_oauth_recover``: whole-process start-up, paired
  against the same imports without it, in CPU and wall time, and
  ``python -X importtime``'s cumulative figure for the package;
- whether Babel is imported when the app starts, serves requests and
  signs a user in, or only once a page is rendered.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from dataclasses import field
from pathlib import Path

import requests
from bench_app import PROFILE
from bench_app import create_app
from browser import Browser
from browser import authorize
from flask import Flask
from in_process import log_in
from in_process import reject_next_code
from paired import WITH
from paired import WITHOUT
from paired import Rounds
from paired import Sample

HERE = Path(__file__).resolve().parent
#: What an app imports anyway: Flask, Authlib's Flask client, requests.
BASE_IMPORTS = "import flask, requests, authlib.integrations.flask_client"
OURS = "flask_oauth_recover"


@dataclass
class Cookie:
    """One cookie a response set: its value's length, the whole
    ``Set-Cookie`` header's, and its path."""

    value_bytes: int
    header_bytes: int
    path: str


@dataclass
class Footprint:
    """The bytes and imports the extension costs."""

    session: dict[str, Cookie] = field(default_factory=dict)
    session_keys: dict[str, list[str]] = field(default_factory=dict)
    callback_cookie: dict[str, Cookie] = field(default_factory=dict)
    sent_to_unrelated_route: dict[str, str] = field(default_factory=dict)
    import_time: Rounds | None = None
    importtime_us: list[float] = field(default_factory=list)
    imported_modules: int = 0
    babel: dict[str, bool] = field(default_factory=dict)


def session_keys(app: Flask, value: str) -> list[str]:
    """The keys of the session cookie ``value``."""
    serializer = app.session_interface.get_signing_serializer(app)  # type: ignore[attr-defined]
    return sorted(serializer.loads(value))


def cookie_of(answer_header: str) -> Cookie:
    """The :class:`Cookie` of one ``Set-Cookie`` header."""
    value = answer_header.split(";", 1)[0].split("=", 1)[1]
    path = "/"
    for attribute in answer_header.split(";")[1:]:
        name, _, text = attribute.strip().partition("=")
        if name.lower() == "path":
            path = text
    return Cookie(len(value), len(answer_header), path)


def sessions(provider: str) -> Footprint:
    """Log in on each side, and on the wrapped side once more through a
    restart, and once into the error page; the cookies left."""
    footprint = Footprint()
    apps = {
        WITHOUT: create_app(wrapped=False, provider_url=provider),
        WITH: create_app(wrapped=True, provider_url=provider),
    }
    with requests.Session() as http:
        for side, app in apps.items():
            browser, callback = log_in(app, http)
            _keep(footprint, side, app, browser, callback.set_cookies())
        # A login whose first code the provider refuses: restarted, then
        # signed in.
        wrapped = apps[WITH]
        reject_next_code(http, provider)
        browser, first = log_in(wrapped, http)
        if not (first.location or "").startswith(provider):
            raise RuntimeError("the refused code did not restart")
        second = browser.get(authorize(http, first.location or ""))
        if second.location != PROFILE:
            raise RuntimeError("the restarted login did not sign in")
        _keep(
            footprint, "with, after a restart", wrapped, browser, second.set_cookies()
        )
        # The error page keeps the login's recipe for "try again".
        misconfigured = create_app(
            wrapped=True, provider_url=provider, client_secret="wrong-secret"
        )
        _, page = log_in(misconfigured, http)
        header = page.set_cookies().get("oauth_recover")
        if header is not None:
            footprint.callback_cookie["with, error page (try again)"] = cookie_of(
                header
            )
    return footprint


def _keep(
    footprint: Footprint,
    label: str,
    app: Flask,
    browser: Browser,
    set_cookies: dict[str, str],
) -> None:
    value = browser.cookies["session"][0]
    footprint.session[label] = cookie_of(set_cookies["session"])
    footprint.session_keys[label] = session_keys(app, value)
    header = set_cookies.get("oauth_recover")
    if header is not None:
        footprint.callback_cookie[label] = cookie_of(header)
    footprint.sent_to_unrelated_route[label] = browser.cookie_header(PROFILE)


# -- imports ---------------------------------------------------------------------


#: Where the children keep their bytecode: installed packages have theirs,
#: and a checkout run with PYTHONDONTWRITEBYTECODE would compile the
#: extension on every start, which no installed copy does.
BYTECODE = tempfile.TemporaryDirectory(prefix="bench-pycache-")


def child_environment() -> dict[str, str]:
    """This process's environment, bytecode kept under :data:`BYTECODE`."""
    environment = dict(os.environ, PYTHONPYCACHEPREFIX=BYTECODE.name)
    environment.pop("PYTHONDONTWRITEBYTECODE", None)
    return environment


def run_child(code: str, *options: str) -> tuple[Sample, str]:
    """Run ``python -c code``; its CPU time (user + system, from the
    kernel's accounting of the finished process), its wall time, and what
    it wrote to stderr."""
    started = time.perf_counter_ns()
    process = subprocess.Popen(
        [sys.executable, *options, "-c", code],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env=child_environment(),
    )
    assert process.stderr is not None
    errors = process.stderr.read().decode()
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter_ns() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise RuntimeError(f"python -c {code!r} failed:\n{errors[-2000:]}")
    cpu = usage.ru_utime + usage.ru_stime
    return Sample(cpu * 1e6, wall / 1e3), errors


def import_time(rounds: int) -> Rounds:
    """Start-up of a process importing what an app imports, without and
    with ``flask_oauth_recover``, in turns (A B, B A, ...); ms."""
    codes = {WITHOUT: BASE_IMPORTS, WITH: f"{BASE_IMPORTS}; import {OURS}"}
    names = list(codes)
    cpu: dict[str, list[float]] = {name: [] for name in names}
    wall: dict[str, list[float]] = {name: [] for name in names}
    for name in names:  # warm the file cache, write the bytecode
        run_child(codes[name])
    for round_number in range(rounds):
        for name in names if round_number % 2 == 0 else names[::-1]:
            sample, _ = run_child(codes[name])
            cpu[name].append(sample.cpu / 1e3)
            wall[name].append(sample.wall / 1e3)
    return Rounds(cpu, wall, 1)


def importtime_cumulative(runs: int) -> list[float]:
    """``python -X importtime``'s cumulative µs for ``flask_oauth_recover``,
    once Flask, requests and Authlib are imported, in each of ``runs``."""
    figures = []
    for _ in range(runs):
        _, errors = run_child(f"{BASE_IMPORTS}; import {OURS}", "-X", "importtime")
        for line in errors.splitlines():
            parts = [part.strip() for part in line.split("|")]
            if len(parts) == 3 and parts[2] == OURS:
                figures.append(float(parts[1]))
    return figures


def imported_modules() -> int:
    """How many modules ``import flask_oauth_recover`` adds to an app's."""
    code = (
        f"import sys; {BASE_IMPORTS}; before = set(sys.modules); import {OURS}; "
        "sys.stderr.write(str(len(set(sys.modules) - before)))"
    )
    _, errors = run_child(code)
    return int(errors.strip())


BABEL_PROBE = """
import json, sys
sys.path.insert(0, {here!r})
import requests
from bench_app import create_app
from in_process import log_in
seen = {{}}
def look(stage):
    seen[stage] = any(name.split(".")[0] == "babel" for name in sys.modules)
app = create_app(wrapped=True, provider_url={provider!r})
look("app created")
with requests.Session() as http:
    app.test_client().get("/health")
    look("unrelated request served")
    log_in(app, http)
    look("a user signed in")
    bad = create_app(wrapped=True, provider_url={provider!r}, client_secret="wrong")
    log_in(bad, http)
    look("an error page rendered")
sys.stderr.write(json.dumps(seen))
"""


def babel_loaded(provider: str) -> dict[str, bool]:
    """In a fresh process: is Babel imported at each stage of an app's life?"""
    _, errors = run_child(BABEL_PROBE.format(here=str(HERE), provider=provider))
    result: dict[str, bool] = json.loads(errors.strip().splitlines()[-1])
    return result


def measure(provider: str, rounds: int) -> Footprint:
    """Everything above; ``rounds`` paired process starts for the import."""
    print("  session and callback cookies ...")
    footprint = sessions(provider)
    print(f"  import: {rounds} paired process starts, and -X importtime ...")
    footprint.import_time = import_time(rounds)
    footprint.importtime_us = importtime_cumulative(max(rounds // 2, 3))
    footprint.imported_modules = imported_modules()
    footprint.babel = babel_loaded(provider)
    return footprint
