"""What flask-oauth-recover costs, side by side with the same app without it.

Run from the repository root::

    python benchmarks/run.py               # everything, about 90 seconds
    python benchmarks/run.py --in-process  # the in-process figures only
    python benchmarks/run.py --gunicorn    # the gunicorn figures only
    python benchmarks/run.py --quick       # a smoke run, numbers not meaningful

The provider emulator runs in a process of its own on a loopback port. Two
modes, each comparing the two variants of ``bench_app.py`` (bare Authlib,
and the same app with ``OAuthRecover`` and ``@recover.callback``):

- in process (``in_process.py``): both variants built here and driven
  through Flask's test client; the full login callback, its token exchange
  going over loopback HTTP to the emulator, and the no-I/O callback view,
  whose difference is the wrapper's own cost in µs; then the error page and
  the restart redirect;
- under gunicorn, two workers each: the success-path callback over real
  HTTP, latency and login throughput; then recovery from a rejected code
  end to end, with its extra round trips.

Every comparison runs in interleaved rounds (without, with, with, without,
...) so that drift on the machine hits both sides alike. Medians
throughout; ratios are with / without, the headline one the median of the
ratios of each pair of rounds. Only loopback addresses; the run ends on
its own (``--deadline``). Not part of the test suite.
"""

from __future__ import annotations

import argparse
import ctypes
import json
import logging
import os
import platform
import signal
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
from urllib.parse import urlsplit

import requests

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))

import in_process  # noqa: E402
from paired import WITH  # noqa: E402
from paired import WITHOUT  # noqa: E402
from paired import Paired  # noqa: E402
from paired import interleaved  # noqa: E402

EMULATOR = """
import sys, threading
from flask_oauth_recover.testing import ProviderEmulator
ProviderEmulator().start(int(sys.argv[1]))
threading.Event().wait()
"""
TIMEOUT = 15.0
#: ``prctl`` option: the signal a child gets when its parent dies.
PR_SET_PDEATHSIG = 1


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
    """How long and how hard to measure under gunicorn."""

    rounds: int
    seconds: float
    clients: int
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


def die_with_parent() -> None:
    """Run in a child before it starts: Linux ends the child when this
    process dies, even if it dies without cleaning up."""
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


@contextmanager
def serve(
    command: list[str], env: dict[str, str], health: str, what: str
) -> Iterator[subprocess.Popen[bytes]]:
    """Run ``command`` until the block ends; its output goes to a log file,
    shown if it fails to start."""
    with tempfile.TemporaryFile() as log:
        process = subprocess.Popen(
            command,
            cwd=REPO,
            env={**os.environ, **env},
            stdout=log,
            stderr=subprocess.STDOUT,
            preexec_fn=die_with_parent if sys.platform == "linux" else None,
        )
        try:
            wait_for(health, process, what, log)
            yield process
        finally:
            process.terminate()
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


@contextmanager
def emulator() -> Iterator[tuple[str, int]]:
    """The provider emulator in a process of its own; yields its base URL
    and process id."""
    port = free_port()
    provider = f"http://127.0.0.1:{port}"
    command = [sys.executable, "-c", EMULATOR, str(port)]
    with serve(command, {}, f"{provider}/_emulator/health", "emulator") as process:
        yield provider, process.pid


def set_cpus(pid: int, cpus: set[int]) -> None:
    """Move every thread of process ``pid`` to ``cpus``; threads it starts
    later inherit them."""
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            os.sched_setaffinity(int(task.name), cpus)
        except ProcessLookupError:
            pass  # a request thread that just ended


@contextmanager
def pinned_apart(other: int) -> Iterator[bool]:
    """For the block, run this thread on one CPU and process ``other`` on
    another; yields whether it could (Linux, two CPUs or more).

    The test client and the emulator then never wait for each other's time
    slice, nor migrate between CPUs mid-measurement, which on a 2-CPU
    machine narrows the spread of the login rounds.
    """
    if sys.platform != "linux":
        yield False
        return
    mine, theirs = os.sched_getaffinity(0), os.sched_getaffinity(other)
    cpus = sorted(mine & theirs)
    if len(cpus) < 2:
        yield False
        return
    set_cpus(other, {cpus[1]})
    os.sched_setaffinity(0, {cpus[0]})
    try:
        yield True
    finally:
        os.sched_setaffinity(0, mine)
        set_cpus(other, theirs)


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


def end_by(seconds: float) -> None:
    """Stop the run with an error after ``seconds``, cleaning up on the way
    out: whatever hangs, the benchmark ends on its own."""

    def expire(signum: int, frame: Any) -> None:
        raise SystemExit(f"the benchmark ran past its deadline of {seconds:g} s")

    signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)


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


def measure_gunicorn(
    settings: Settings, provider: str
) -> tuple[Figures, dict[str, float]]:
    """Start both variants under gunicorn, then measure the success path
    and recovery over HTTP."""
    ports = {side: free_port() for side in (WITHOUT, WITH)}
    apps = {side: f"http://127.0.0.1:{port}" for side, port in ports.items()}
    with ExitStack() as stack:
        for side, url in apps.items():
            command, env = gunicorn(ports[side], side == WITH, provider)
            stack.enter_context(
                serve(command, env, f"{url}/health", f"gunicorn ({side})")
            )
        figures = measure_http(settings, provider, apps)
        recovery = measure_recovery(settings, provider, apps)
    return figures, recovery


def measure_http(settings: Settings, provider: str, apps: dict[str, str]) -> Figures:
    """Success-path logins against both gunicorn servers, interleaved."""
    print(
        f"Under gunicorn: {settings.rounds} interleaved rounds of "
        f"{settings.seconds:g} s per side, {settings.clients} browsers at once ..."
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
        for o, w in zip(loads[WITHOUT], loads[WITH], strict=True)
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
            for o, w in zip(loads[WITHOUT], loads[WITH], strict=True)
        ),
    )


def measure_recovery(
    settings: Settings, provider: str, apps: dict[str, str]
) -> dict[str, float]:
    """Logins on the wrapped server with and without a rejected code."""
    print("Recovery: logins whose first code the provider rejects ...")
    normal = [log_in(apps[WITH], provider) for _ in range(settings.recoveries)]
    recovered = []
    for _ in range(settings.recoveries):
        reject_next_code(provider)
        recovered.append(log_in(apps[WITH], provider))
    reject_next_code(provider)
    unwrapped = log_in(apps[WITHOUT], provider)
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


def print_rows(rows: list[tuple[str, ...]]) -> None:
    """A table: a label column, then right-aligned figures."""
    widths = (44, 11, 11, 8, 18)
    print()
    for row in rows:
        label, *figures = row
        print(
            f"{label:<{widths[0]}}"
            + "".join(
                f"{figure:>{width}}"
                for figure, width in zip(figures, widths[1:], strict=False)
            )
        )
    print()


def print_in_process(figures: in_process.Figures, pinned: bool) -> None:
    """The in-process results and how they stand against the targets."""
    login, no_io = figures.login, figures.no_io

    def interval(bounds: tuple[float, float], digits: int) -> str:
        return f"{bounds[0]:.{digits}f} to {bounds[1]:.{digits}f}"

    def paired_row(label: str, paired: Paired) -> tuple[str, ...]:
        return (
            label,
            f"{paired.median_without:.1f}",
            f"{paired.median_with:.1f}",
            f"{paired.ratio:.3f}",
            interval(paired.ratio_interval, 3),
        )

    def cost_row(label: str, paired: Paired) -> tuple[str, ...]:
        return (
            label,
            "",
            f"{paired.difference:+.1f}",
            "",
            interval(paired.difference_interval, 1),
        )

    rows = [
        ("In process (µs)", WITHOUT, WITH, "ratio", "95% CI"),
        paired_row("login callback, token exchange included", login),
        cost_row("  its cost (median of paired differences)", login),
        paired_row("no-I/O callback view", no_io),
        cost_row("  the wrapper's own cost (idem)", no_io),
    ]
    if not figures.a_a:
        rows += [
            ("error page render", "-", f"{figures.error_page:.0f}"),
            ("restart redirect", "-", f"{figures.restart:.0f}"),
        ]
    print_rows(rows)

    def verdict(met: bool) -> str:
        return "met" if met else "NOT met"

    print(
        f"{figures.logins} logins in process, {len(login.ratios)} pairs of "
        "rounds; each round's figure is the median of its calls; ratios and "
        "costs are medians over the pairs, with their 95% confidence interval."
    )
    if pinned:
        print("This process and the emulator each ran on a CPU of their own.")
    if figures.a_a:
        print(
            "A/A run: both sides without the extension; the 'with' column is a "
            "second bare app, so any cost shown is noise or bias."
        )
        return
    print(
        f"Targets: login callback ratio <= 1.01: {login.ratio:.3f}, "
        f"{verdict(login.ratio <= 1.01)}; the wrapper's own cost <= 10 µs: "
        f"{no_io.difference:.1f} µs, {verdict(no_io.difference <= 10)}."
    )


def print_gunicorn(figures: Figures, recovery: dict[str, float]) -> None:
    """The results over HTTP, side by side."""
    latency, throughput = figures.latency_ms, figures.throughput
    print_rows(
        [
            ("Under gunicorn, 2 workers each", WITHOUT, WITH, "ratio"),
            (
                "success callback latency, median (ms)",
                f"{latency[WITHOUT]:.2f}",
                f"{latency[WITH]:.2f}",
                f"{figures.latency_ratio:.3f}",
            ),
            (
                "login throughput, median (logins/s)",
                f"{throughput[WITHOUT]:.1f}",
                f"{throughput[WITH]:.1f}",
                f"{figures.throughput_ratio:.3f}",
            ),
            (
                "rejected code: how the login ends",
                f"HTTP {recovery['without status']:.0f}",
                "signed in",
            ),
            (
                "rejected code: extra trips to the provider",
                "-",
                f"{recovery['extra trips']:g} (max 1)",
            ),
            (
                "rejected code: extra browser requests",
                "-",
                f"{recovery['extra requests']:g}",
            ),
            (
                "rejected code vs normal login: callback ms",
                f"{recovery['normal ms']:.2f}",
                f"{recovery['recovered ms']:.2f}",
                ratio(recovery["normal ms"], recovery["recovered ms"]),
            ),
        ]
    )
    overhead = (figures.latency_ratio - 1) * 100
    print(
        f"{figures.logins[WITHOUT]} + {figures.logins[WITH]} logins over HTTP. "
        f"Success-path callback latency, with / without (median of paired "
        f"rounds): {overhead:+.2f}%; the pairs ranged "
        f"{(min(figures.latency_ratios) - 1) * 100:+.1f}% to "
        f"{(max(figures.latency_ratios) - 1) * 100:+.1f}%."
    )
    print(
        "Last row: the wrapped app, a normal login's callback time against a "
        "rejected-code login's two callbacks."
    )


# -- main ------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> None:
    """Parse arguments, measure, print the tables."""
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0],
        epilog="Without --in-process or --gunicorn, both modes run.",
    )
    mode = parser.add_argument_group("modes")
    mode.add_argument(
        "--in-process", action="store_true", help="the in-process figures"
    )
    mode.add_argument("--gunicorn", action="store_true", help="the gunicorn figures")
    parser.add_argument("--quick", action="store_true", help="a smoke run")
    parser.add_argument("--verbose", action="store_true", help="per-round figures")
    parser.add_argument(
        "--deadline", type=float, help="seconds before giving up (default: 1800)"
    )
    local = parser.add_argument_group("in process")
    defaults = in_process.Settings()
    local.add_argument(
        "--local-rounds", type=int, default=defaults.rounds, help="paired rounds"
    )
    local.add_argument(
        "--logins", type=int, default=defaults.logins, help="per side per round"
    )
    local.add_argument(
        "--a-a",
        action="store_true",
        help="both sides without the extension, to see the figures' noise",
    )
    local.add_argument(
        "--calls",
        type=int,
        default=defaults.calls,
        help="no-I/O calls per side per round",
    )
    served = parser.add_argument_group("under gunicorn")
    served.add_argument("--rounds", type=int, default=6, help="paired rounds")
    served.add_argument("--seconds", type=float, default=5.0, help="per side per round")
    served.add_argument("--clients", type=int, default=2, help="concurrent browsers")
    served.add_argument(
        "--recoveries", type=int, default=30, help="logins per recovery side"
    )
    args = parser.parse_args(argv)
    both = not (args.in_process or args.gunicorn)
    settings = Settings(
        args.rounds, args.seconds, args.clients, args.recoveries, args.verbose
    )
    local_settings = in_process.Settings(
        rounds=args.local_rounds, logins=args.logins, calls=args.calls, a_a=args.a_a
    )
    if args.quick:
        settings = Settings(2, 0.5, 2, 3, args.verbose)
        local_settings = in_process.Settings(
            rounds=4, logins=5, calls=50, failures=20, warmup=10, a_a=args.a_a
        )
    end_by(args.deadline or (300 if args.quick else 1800))

    # The extension logs every failure; the benchmark keeps the records but
    # not the output.
    logger = logging.getLogger("flask_oauth_recover")
    logger.addHandler(logging.NullHandler())
    logger.propagate = False

    print(f"Machine: {machine()}")
    with emulator() as (provider, emulator_pid):
        local_figures, pinned = None, False
        if both or args.in_process:
            with pinned_apart(emulator_pid) as pinned:
                local_figures = in_process.measure(
                    local_settings, provider, args.verbose
                )
        served_figures = None
        if both or args.gunicorn:
            served_figures = measure_gunicorn(settings, provider)
    if local_figures is not None:
        print_in_process(local_figures, pinned)
    if served_figures is not None:
        print_gunicorn(*served_figures)


if __name__ == "__main__":
    main()
