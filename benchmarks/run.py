"""What flask-oauth-recover costs, side by side with the same app without it.

Run from the repository root::

    python benchmarks/run.py            # about two minutes
    python benchmarks/run.py --quick    # a smoke run, numbers not meaningful

It starts the provider emulator in a process of its own and the two app
variants (``bench_app.py``) under gunicorn, two workers each, on loopback
ports, then measures:

1. the success-path callback over real HTTP: latency and login throughput,
   in interleaved rounds (without, with, with, without, ...) so that drift
   on the machine hits both alike;
2. in process, calling the WSGI app directly: the wrapper's own cost per
   callback when the view does no I/O, the error page and the restart
   redirect;
3. recovery from a rejected code end to end: the extra round trips.

Medians throughout; ratios are with / without. Not part of the test suite.
"""

from __future__ import annotations

import argparse
import functools
import json
import logging
import os
import platform
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from collections.abc import Iterator
from contextlib import ExitStack
from contextlib import contextmanager
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path
from typing import IO
from typing import Any
from urllib.parse import parse_qsl
from urllib.parse import urlencode
from urllib.parse import urlsplit

import requests
from flask import Flask
from werkzeug.test import EnvironBuilder

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))

from bench_app import create_app  # noqa: E402

EMULATOR = """
import sys, threading
from flask_oauth_recover.testing import ProviderEmulator
ProviderEmulator().start(int(sys.argv[1]))
threading.Event().wait()
"""
TIMEOUT = 15.0


@dataclass
class Figures:
    """Medians over HTTP, per side, and of the with / without ratios of
    each pair of rounds (the two halves of a pair ran back to back, so
    their ratio is the least affected by drift on the machine)."""

    latency_ms: dict[str, float]
    throughput: dict[str, float]
    logins: dict[str, int]
    latency_ratio: float
    throughput_ratio: float
    latency_ratios: list[float]


@dataclass
class Settings:
    """How long and how hard to measure."""

    rounds: int
    seconds: float
    clients: int
    calls: int
    recoveries: int
    verbose: bool = False


# -- servers -------------------------------------------------------------------


def free_port() -> int:
    """A loopback port that was free a moment ago."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


def wait_for(
    url: str, process: subprocess.Popen[bytes], what: str, log: IO[bytes]
) -> None:
    """Poll ``url`` until it answers 200, for at most 30 s."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and process.poll() is None:
        try:
            if requests.get(url, timeout=1).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.05)
    log.seek(0)
    output = log.read().decode(errors="replace")[-3000:]
    raise SystemExit(f"{what} did not start:\n{output}")


@contextmanager
def serve(
    command: list[str], env: dict[str, str], health: str, what: str
) -> Iterator[None]:
    """Run ``command`` until the block ends; its output goes to a log file,
    shown if it fails to start."""
    with tempfile.TemporaryFile() as log:
        process = subprocess.Popen(
            command,
            cwd=REPO,
            env={**os.environ, **env},
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            wait_for(health, process, what, log)
            yield
        finally:
            process.terminate()
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def gunicorn(
    port: int, wrapped: bool, provider: str
) -> tuple[list[str], dict[str, str]]:
    """The command and environment for one app variant."""
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "--workers",
        "2",
        "--bind",
        f"127.0.0.1:{port}",
        "--pythonpath",
        str(HERE),
        "--log-level",
        "error",
        "bench_app:create_app()",
    ]
    return command, {"WRAPPED": "1" if wrapped else "0", "PROVIDER_URL": provider}


# -- over HTTP -------------------------------------------------------------------


@dataclass
class Login:
    """One login: the callback's latency and the browser's requests."""

    callback_seconds: float
    requests: int
    authorizations: int
    final_status: int


def log_in(app_url: str, provider: str) -> Login:
    """A full login as a browser does it, following every redirect."""
    http = requests.Session()
    response = http.get(f"{app_url}/login", allow_redirects=False, timeout=TIMEOUT)
    count, authorizations, callback_seconds = 1, 0, 0.0
    while response.is_redirect:
        url = response.headers["Location"]
        if url.startswith("/"):
            url = app_url + url
        is_callback = urlsplit(url).path == "/callback"
        started = time.perf_counter()
        response = http.get(url, allow_redirects=False, timeout=TIMEOUT)
        if is_callback:
            callback_seconds += time.perf_counter() - started
        count += 1
        authorizations += url.startswith(provider)
        if count > 20:
            raise RuntimeError("redirect loop")
    return Login(callback_seconds, count, authorizations, response.status_code)


@dataclass
class Load:
    """What one side did in one round."""

    latencies: list[float]
    logins: int
    seconds: float

    @property
    def throughput(self) -> float:
        return self.logins / self.seconds


def load(app_url: str, provider: str, seconds: float, clients: int) -> Load:
    """``clients`` browsers logging in back to back for ``seconds``."""
    latencies: list[float] = []
    lock = threading.Lock()
    stop = time.monotonic() + seconds

    def browser() -> None:
        while time.monotonic() < stop:
            login = log_in(app_url, provider)
            if login.final_status != 200:
                raise RuntimeError(f"login ended on HTTP {login.final_status}")
            with lock:
                latencies.append(login.callback_seconds)

    started = time.monotonic()
    threads = [threading.Thread(target=browser) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return Load(latencies, len(latencies), time.monotonic() - started)


def reject_next_code(provider: str) -> None:
    """Ask the emulator to answer the next token request bad_verification_code."""
    answer = requests.post(
        f"{provider}/_emulator/faults",
        data=json.dumps({"fault": "reject_codes", "n": 1}),
        timeout=TIMEOUT,
    )
    answer.raise_for_status()


# -- in process ------------------------------------------------------------------


def callback_environ(app: Flask, path: str) -> dict[str, Any]:
    """A WSGI environ for a callback on ``path`` whose state is pending in
    the session cookie, as after a real login."""
    client = app.test_client()
    login = client.get("/login")
    state = dict(parse_qsl(urlsplit(login.location).query))["state"]
    cookie = client.get_cookie("session")
    assert cookie is not None
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


def per_call(app: Flask, environ: dict[str, Any], calls: int) -> float:
    """Seconds per call of the WSGI app, the response body consumed."""
    statuses: list[str] = []

    def start_response(status: str, headers: Any, exc_info: Any = None) -> Any:
        statuses.append(status)

    started = time.perf_counter()
    for _ in range(calls):
        body = app.wsgi_app(dict(environ), start_response)
        for _chunk in body:
            pass
        close = getattr(body, "close", None)
        if close is not None:
            close()
    elapsed = time.perf_counter() - started
    if statuses[-1][:1] not in ("2", "3", "5"):
        raise RuntimeError(f"unexpected status {statuses[-1]}")
    return elapsed / calls


def interleaved(
    sides: dict[str, Callable[[], float]], rounds: int
) -> dict[str, list[float]]:
    """Run each side once per round, alternating which goes first."""
    results: dict[str, list[float]] = {name: [] for name in sides}
    names = list(sides)
    for round_number in range(rounds):
        order = names if round_number % 2 == 0 else names[::-1]
        for name in order:
            results[name].append(sides[name]())
    return results


# -- report ----------------------------------------------------------------------


def machine() -> str:
    """One line about where the figures come from."""
    model = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    packages = ", ".join(
        f"{name} {version(name)}" for name in ("Flask", "Authlib", "gunicorn")
    )
    return (
        f"{platform.system()} {platform.release()}, {model}, "
        f"{os.cpu_count()} CPUs; Python {platform.python_version()}; {packages}"
    )


def ratio(without: float, with_: float) -> str:
    return f"{with_ / without:.3f}" if without else "-"


def main(argv: list[str] | None = None) -> None:
    """Parse arguments, measure, print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=6, help="A/B rounds over HTTP")
    parser.add_argument("--seconds", type=float, default=5.0, help="per side per round")
    parser.add_argument("--clients", type=int, default=2, help="concurrent browsers")
    parser.add_argument(
        "--calls", type=int, default=3000, help="in-process calls per round"
    )
    parser.add_argument(
        "--recoveries", type=int, default=30, help="logins per recovery side"
    )
    parser.add_argument("--quick", action="store_true", help="a smoke run")
    parser.add_argument("--verbose", action="store_true", help="per-round figures")
    args = parser.parse_args(argv)
    settings = Settings(
        args.rounds,
        args.seconds,
        args.clients,
        args.calls,
        args.recoveries,
        args.verbose,
    )
    if args.quick:
        settings = Settings(2, 0.5, 2, 200, 3, args.verbose)

    # The extension logs every failure; the benchmark keeps the records but
    # not the output.
    logger = logging.getLogger("flask_oauth_recover")
    logger.addHandler(logging.NullHandler())
    logger.propagate = False

    print(f"Machine: {machine()}")
    ports = {"provider": free_port(), "without": free_port(), "with": free_port()}
    provider = f"http://127.0.0.1:{ports['provider']}"
    apps = {side: f"http://127.0.0.1:{ports[side]}" for side in ("without", "with")}
    with ExitStack() as stack:
        stack.enter_context(
            serve(
                [sys.executable, "-c", EMULATOR, str(ports["provider"])],
                {},
                f"{provider}/_emulator/health",
                "emulator",
            )
        )
        for side, url in apps.items():
            command, env = gunicorn(ports[side], side == "with", provider)
            stack.enter_context(
                serve(command, env, f"{url}/health", f"gunicorn ({side})")
            )
        figures = measure_http(settings, provider, apps)
        in_process = measure_in_process(settings, provider)
        recovery = measure_recovery(settings, provider, apps)
    print_table(figures, in_process, recovery)


def measure_http(settings: Settings, provider: str, apps: dict[str, str]) -> Figures:
    """Success-path logins against both gunicorn servers, interleaved."""
    print(
        f"Over HTTP: {settings.rounds} interleaved rounds of {settings.seconds:g} s "
        f"per side, {settings.clients} browsers at once ..."
    )
    for url in apps.values():  # warm up: imports, pools, caches
        load(url, provider, min(1.0, settings.seconds), settings.clients)
    loads: dict[str, list[Load]] = {side: [] for side in apps}

    def one_side(side: str) -> Callable[[], float]:
        def run() -> float:
            result = load(apps[side], provider, settings.seconds, settings.clients)
            loads[side].append(result)
            return result.throughput

        return run

    interleaved({side: one_side(side) for side in apps}, settings.rounds)
    if settings.verbose:
        for side, rounds in loads.items():
            medians = " ".join(
                f"{statistics.median(r.latencies) * 1e3:.2f}" for r in rounds
            )
            print(f"  {side:>7}: callback ms per round: {medians}")
    ratios = [
        statistics.median(w.latencies) / statistics.median(o.latencies)
        for o, w in zip(loads["without"], loads["with"], strict=True)
    ]
    return Figures(
        latency_ms={
            side: statistics.median(statistics.median(r.latencies) for r in rounds)
            * 1e3
            for side, rounds in loads.items()
        },
        throughput={
            side: statistics.median(r.throughput for r in rounds)
            for side, rounds in loads.items()
        },
        logins={side: sum(r.logins for r in rounds) for side, rounds in loads.items()},
        latency_ratio=statistics.median(ratios),
        latency_ratios=ratios,
        throughput_ratio=statistics.median(
            w.throughput / o.throughput
            for o, w in zip(loads["without"], loads["with"], strict=True)
        ),
    )


def measure_in_process(settings: Settings, provider: str) -> dict[str, float]:
    """Microseconds per call: the no-I/O callback on both sides, and the
    wrapped app's error page and restart redirect."""
    print("In process: the WSGI app called directly ...")
    apps = {
        "without": create_app(wrapped=False, provider_url=provider),
        "with": create_app(wrapped=True, provider_url=provider),
    }
    # Many short rounds: the median shrugs off a burst of other work.
    rounds = max(settings.rounds * 2, 10)
    no_io = interleaved(
        {
            side: functools.partial(
                per_call, app, callback_environ(app, "/no-io"), settings.calls // 2
            )
            for side, app in apps.items()
        },
        rounds,
    )
    wrapped = apps["with"]
    failures = interleaved(
        {
            name: functools.partial(
                per_call,
                wrapped,
                callback_environ(wrapped, f"/fails/{error}"),
                max(settings.calls // 5, 20),
            )
            for name, error in (
                ("error page", "incorrect_client_credentials"),
                ("restart", "bad_verification_code"),
            )
        },
        rounds,
    )
    return {
        name: statistics.median(times) * 1e6
        for name, times in {**no_io, **failures}.items()
    }


def measure_recovery(
    settings: Settings, provider: str, apps: dict[str, str]
) -> dict[str, float]:
    """Logins on the wrapped server with and without a rejected code."""
    print("Recovery: logins whose first code the provider rejects ...")
    normal = [log_in(apps["with"], provider) for _ in range(settings.recoveries)]
    recovered = []
    for _ in range(settings.recoveries):
        reject_next_code(provider)
        recovered.append(log_in(apps["with"], provider))
    reject_next_code(provider)
    unwrapped = log_in(apps["without"], provider)
    if any(login.final_status != 200 for login in normal + recovered):
        raise RuntimeError("a wrapped login did not end signed in")

    def median(logins: list[Login], attribute: str) -> float:
        return float(statistics.median(getattr(login, attribute) for login in logins))

    return {
        "extra trips": median(recovered, "authorizations")
        - median(normal, "authorizations"),
        "extra requests": median(recovered, "requests") - median(normal, "requests"),
        "normal ms": median(normal, "callback_seconds") * 1e3,
        "recovered ms": median(recovered, "callback_seconds") * 1e3,
        "without status": float(unwrapped.final_status),
    }


def print_table(
    figures: Figures, in_process: dict[str, float], recovery: dict[str, float]
) -> None:
    """The results, side by side."""
    latency, throughput = figures.latency_ms, figures.throughput
    rows = [
        ("", "without", "with", "ratio"),
        (
            "success callback latency, median (ms)",
            f"{latency['without']:.2f}",
            f"{latency['with']:.2f}",
            f"{figures.latency_ratio:.3f}",
        ),
        (
            "login throughput, median (logins/s)",
            f"{throughput['without']:.1f}",
            f"{throughput['with']:.1f}",
            f"{figures.throughput_ratio:.3f}",
        ),
        (
            "no-I/O callback, in process (µs/call)",
            f"{in_process['without']:.1f}",
            f"{in_process['with']:.1f}",
            ratio(in_process["without"], in_process["with"]),
        ),
        (
            "  the wrapper's own cost (µs/call)",
            "",
            f"{in_process['with'] - in_process['without']:.1f}",
            "",
        ),
        (
            "error page render, in process (µs)",
            "-",
            f"{in_process['error page']:.0f}",
            "",
        ),
        ("restart redirect, in process (µs)", "-", f"{in_process['restart']:.0f}", ""),
        (
            "rejected code: how the login ends",
            f"HTTP {recovery['without status']:.0f}",
            "signed in",
            "",
        ),
        (
            "rejected code: extra trips to the provider",
            "-",
            f"{recovery['extra trips']:g} (max 1)",
            "",
        ),
        (
            "rejected code: extra browser requests",
            "-",
            f"{recovery['extra requests']:g}",
            "",
        ),
        (
            "rejected code vs normal login: callback ms",
            f"{recovery['normal ms']:.2f}",
            f"{recovery['recovered ms']:.2f}",
            ratio(recovery["normal ms"], recovery["recovered ms"]),
        ),
    ]
    print()
    for label, without, with_, rate in rows:
        print(f"{label:<44}{without:>12}{with_:>14}{rate:>8}")
    overhead = (figures.latency_ratio - 1) * 100
    own_cost = in_process["with"] - in_process["without"]
    share = own_cost / (latency["without"] * 1e3) * 100
    print()
    print(
        f"{figures.logins['without']} + {figures.logins['with']} logins over HTTP. "
        f"Success-path callback latency, with / without (median of paired "
        f"rounds): {overhead:+.2f}% (target: under 2%); the pairs ranged "
        f"{(min(figures.latency_ratios) - 1) * 100:+.1f}% to "
        f"{(max(figures.latency_ratios) - 1) * 100:+.1f}%."
    )
    print(
        f"The wrapper's own cost ({own_cost:.0f} µs) is {share:.2f}% of the "
        "success-path callback measured here, against an emulator on loopback; "
        "against github.com the callback takes far longer and the share is smaller."
    )
    print(
        "Last row: the wrapped app, a normal login's callback time against a "
        "rejected-code login's two callbacks."
    )


if __name__ == "__main__":
    main()
