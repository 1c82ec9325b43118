"""What flask-oauth-recover costs a user, side by side with the same app
without it.

Run from the repository root::

    python benchmarks/run.py            # everything, about 3 minutes
    python benchmarks/run.py --quick    # a smoke run, numbers not meaningful
    python benchmarks/run.py --a-a      # both sides bare: the noise floor

The provider emulator runs in a process of its own on a loopback port; this
process and the emulator are pinned to a CPU each when there are two. The
app is built twice in this process (``bench_app.py``: bare Authlib, and the
same app with ``OAuthRecover(app)`` + ``@recover.callback``) and the two
take turns call by call (``paired.py``), timed in thread CPU time and on
the wall clock: see ``in_process.py`` for the requests measured and
``footprint.py`` for the bytes and imports. ``breakdown.py`` is the
diagnostic that says where the callback's time goes.

Not part of the test suite; the run ends on its own (``--deadline``).
"""

from __future__ import annotations

import argparse
import ctypes
import logging
import os
import platform
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from importlib.metadata import version
from pathlib import Path
from typing import IO
from typing import Any

import requests

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))

import footprint  # noqa: E402
import in_process  # noqa: E402
from paired import CPU  # noqa: E402
from paired import WALL  # noqa: E402
from paired import WITH  # noqa: E402
from paired import WITHOUT  # noqa: E402
from paired import Paired  # noqa: E402
from paired import Rounds  # noqa: E402
from paired import Spread  # noqa: E402

EMULATOR = """
import sys, threading
from flask_oauth_recover.testing import ProviderEmulator
ProviderEmulator().start(int(sys.argv[1]))
threading.Event().wait()
"""
#: ``prctl`` option: the signal a child gets when its parent dies.
PR_SET_PDEATHSIG = 1

#: Goals (issue 17), in µs of CPU over the bare app: the route, the goal,
#: and the tolerance within which +0 counts as met (the noise).
GOALS = {
    "anonymous": 0.5,
    "signed in": 3.0,
    "callback": 45.0,
}
STRETCH_CALLBACK = 25.0
SESSION_BYTES_GOAL = 48


# -- the emulator --------------------------------------------------------------


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
def emulator() -> Iterator[tuple[str, int]]:
    """The provider emulator in a process of its own; yields its base URL
    and process id."""
    port = free_port()
    provider = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryFile() as log:
        process = subprocess.Popen(
            [sys.executable, "-c", EMULATOR, str(port)],
            cwd=REPO,
            stdout=log,
            stderr=subprocess.STDOUT,
            preexec_fn=die_with_parent if sys.platform == "linux" else None,
        )
        try:
            wait_for(f"{provider}/_emulator/health", process, "emulator", log)
            yield provider, process.pid
        finally:
            process.terminate()
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


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
    another; yields whether it could (Linux, two CPUs or more). Neither
    then migrates between CPUs mid-measurement."""
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


def end_by(seconds: float) -> None:
    """Stop the run with an error after ``seconds``, cleaning up on the way
    out: whatever hangs, the benchmark ends on its own."""

    def expire(signum: int, frame: Any) -> None:
        raise SystemExit(f"the benchmark ran past its deadline of {seconds:g} s")

    signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)


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
        f"{name} {version(name)}" for name in ("Flask", "Werkzeug", "Authlib")
    )
    return (
        f"{platform.system()} {platform.release()}, {model}, "
        f"{os.cpu_count()} CPUs; Python {platform.python_version()}; {packages}"
    )


def interval(bounds: tuple[float, float], digits: int = 1) -> str:
    return f"[{bounds[0]:+.{digits}f}, {bounds[1]:+.{digits}f}]"


def quartile_range(bounds: tuple[float, float], digits: int = 0) -> str:
    if bounds[1] >= 1000:
        digits = 0
    return f"{bounds[0]:.{digits}f}-{bounds[1]:.{digits}f}"


def print_rows(rows: list[tuple[str, ...]], widths: tuple[int, ...]) -> None:
    """A table: a label column, then right-aligned figures."""
    print()
    for label, *figures in rows:
        print(
            f"{label:<{widths[0]}}"
            + "".join(
                f"{figure:>{width}}"
                for figure, width in zip(figures, widths[1:], strict=False)
            )
        )
    print()


def paired_rows(name: str, rounds: Rounds) -> list[tuple[str, ...]]:
    """CPU and wall rows of one paired measurement: each side's median
    [IQR], the median paired difference [95 % CI]."""
    rows: list[tuple[str, ...]] = []
    for clock in (CPU, WALL):
        paired: Paired = rounds.paired(clock)
        rows.append(
            (
                f"{name}, {clock}",
                f"{paired.median_without:.1f}",
                quartile_range(Spread(paired.without).iqr, 1),
                f"{paired.median_with:.1f}",
                quartile_range(Spread(paired.with_).iqr, 1),
                f"{paired.difference:+.2f}",
                interval(paired.difference_interval, 2),
                f"{paired.ratio:.3f}",
            )
        )
    return rows


def verdict(difference: float, bounds: tuple[float, float], goal: float) -> str:
    if bounds[1] <= goal:
        return "met"
    if difference <= goal:
        return "met at the median (the interval reaches past it)"
    return f"NOT met, by {difference - goal:.1f} µs"


def print_in_process(
    figures: in_process.Figures, settings: in_process.Settings, pinned: bool
) -> None:
    """The paired figures, and how they stand against the goals."""
    rows: list[tuple[str, ...]] = [
        (
            "µs per request",
            WITHOUT,
            "IQR",
            WITH,
            "IQR",
            "with-without",
            "95% CI",
            "ratio",
        ),
    ]
    labels = {
        "anonymous": "unrelated route, anonymous",
        "signed in": "unrelated route, signed in",
        "login": "login route (state minted)",
        "callback": "login callback (real token exchange)",
    }
    for key, label in labels.items():
        if key in figures.routes:
            rows += paired_rows(label, figures.routes[key])
    print_rows(rows, (44, 9, 14, 9, 14, 13, 20, 7))
    print(
        f"{settings.rounds} paired rounds per row; a round's figure is the median "
        f"of {settings.calls} calls per side ({settings.logins} logins for the "
        "callback), the sides taking turns call by call; the columns are medians "
        "over rounds with their interquartile range, the difference the median "
        "of the paired differences with its 95% confidence interval, the ratio "
        "the median of the paired ratios (with / without)."
    )
    if pinned:
        print("This process and the emulator each ran on a CPU of their own.")
    if figures.failures is not None:
        failure_rows: list[tuple[str, ...]] = [
            ("wrapped side only, µs", "cpu", "IQR", "wall", "IQR")
        ]
        for name in (in_process.RESTART, in_process.ERROR_PAGE):
            cpu, wall = (
                figures.failures.single(CPU, name),
                figures.failures.single(WALL, name),
            )
            failure_rows.append(
                (
                    f"{name} (callback, real token exchange)",
                    f"{cpu.median:.0f}",
                    quartile_range(cpu.iqr),
                    f"{wall.median:.0f}",
                    quartile_range(wall.iqr),
                )
            )
        print_rows(failure_rows, (44, 9, 14, 9, 14))
    if settings.a_a:
        print(
            "A/A run: both sides are the bare app; every difference above is "
            "the noise floor (or a bias of the method)."
        )
        return
    print("Goals (CPU, with - without):")
    for key, goal in GOALS.items():
        if key not in figures.routes:
            continue
        paired = figures.routes[key].paired(CPU)
        print(
            f"  {labels[key]}: {paired.difference:+.2f} µs "
            f"{interval(paired.difference_interval, 2)}, goal <= +{goal:g}: "
            f"{verdict(paired.difference, paired.difference_interval, goal)}"
        )
    if "callback" not in figures.routes:
        return
    callback = figures.routes["callback"].paired(CPU)
    stretch = verdict(
        callback.difference, callback.difference_interval, STRETCH_CALLBACK
    )
    print(f"  login callback, stretch goal <= +{STRETCH_CALLBACK:g}: {stretch}")


def print_footprint(found: footprint.Footprint) -> None:
    """Bytes and imports."""
    rows: list[tuple[str, ...]] = [
        ("session cookie after a login", "bytes", "keys", "sent to /profile")
    ]
    bare = found.session[WITHOUT].value_bytes
    for label, cookie in found.session.items():
        ours = [key for key in found.session_keys[label] if "oauth_recover" in key]
        rows.append(
            (
                label,
                f"{cookie.value_bytes} ({cookie.value_bytes - bare:+d})",
                ", ".join(found.session_keys[label]) + (" OURS" if ours else ""),
                found.sent_to_unrelated_route[label].split("=", 1)[0] or "-",
            )
        )
    print_rows(rows, (32, 12, 30, 20))
    if found.callback_cookie:
        rows = [("callback cookie (oauth_recover)", "value", "Set-Cookie", "Path")]
        for label, cookie in found.callback_cookie.items():
            rows.append(
                (
                    label,
                    f"{cookie.value_bytes} B",
                    f"{cookie.header_bytes} B",
                    cookie.path,
                )
            )
        print_rows(rows, (32, 10, 12, 12))
        print(
            "The callback cookie is scoped to the callback's path: the browser "
            "sends it only there (a repeat of the callback, 'try again'), never "
            "to any other route, and it expires after 10 minutes."
        )
    with_extra = found.session[WITH].value_bytes - bare
    verdict_text = "met" if with_extra <= SESSION_BYTES_GOAL else "NOT met"
    print(
        f"Session bytes of ours after a login: {with_extra:+d} "
        f"(goal <= {SESSION_BYTES_GOAL}): {verdict_text}."
    )
    if found.import_time is not None:
        importing = found.import_time.paired(CPU)
        wall = found.import_time.paired(WALL)
        print(
            f"\nProcess start-up importing Flask, requests and Authlib's Flask "
            f"client: {importing.median_without:.1f} ms CPU "
            f"(IQR {quartile_range(Spread(importing.without).iqr, 1)}); adding "
            f"import flask_oauth_recover: {importing.difference:+.1f} ms CPU "
            f"{interval(importing.difference_interval, 1)}, "
            f"{wall.difference:+.1f} ms wall {interval(wall.difference_interval, 1)} "
            f"({len(importing.without)} paired process starts)."
        )
    if found.importtime_us:
        cumulative = found.importtime_us
        print(
            f"python -X importtime, cumulative for flask_oauth_recover: median "
            f"{statistics.median(cumulative) / 1e3:.1f} ms "
            f"(range {min(cumulative) / 1e3:.1f}-{max(cumulative) / 1e3:.1f}, "
            f"{len(cumulative)} runs); {found.imported_modules} modules added."
        )
    if found.babel:
        stages = "; ".join(
            f"{stage}: {'yes' if loaded else 'no'}"
            for stage, loaded in found.babel.items()
        )
        print(f"Babel imported? {stages}.")


# -- main ------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> None:
    """Parse arguments, measure, print the tables."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a smoke run")
    parser.add_argument(
        "--a-a",
        action="store_true",
        help="both sides without the extension: the figures' noise floor",
    )
    defaults = in_process.Settings()
    parser.add_argument(
        "--rounds", type=int, default=defaults.rounds, help="paired rounds"
    )
    parser.add_argument(
        "--calls",
        type=int,
        default=defaults.calls,
        help="route calls per side per round",
    )
    parser.add_argument(
        "--logins", type=int, default=defaults.logins, help="logins per side per round"
    )
    parser.add_argument(
        "--import-rounds", type=int, default=20, help="paired process starts"
    )
    parser.add_argument(
        "--only",
        action="append",
        choices=[*in_process.MEASUREMENTS, "footprint"],
        help="take only this measurement (repeatable)",
    )
    parser.add_argument(
        "--deadline", type=float, help="seconds before giving up (default: 1800)"
    )
    args = parser.parse_args(argv)
    only = frozenset(args.only or ())
    settings = in_process.Settings(
        rounds=args.rounds,
        calls=args.calls,
        logins=args.logins,
        a_a=args.a_a,
        only=only,
    )
    import_rounds = args.import_rounds
    if args.quick:
        settings = in_process.Settings(
            rounds=4, calls=30, logins=4, failures=2, warmup=5, a_a=args.a_a, only=only
        )
        import_rounds = 3
    end_by(args.deadline or (300 if args.quick else 1800))

    # The extension logs every failure; the benchmark keeps the records but
    # not the output.
    logger = logging.getLogger("flask_oauth_recover")
    logger.addHandler(logging.NullHandler())
    logger.propagate = False

    print(f"Machine: {machine()}")
    with emulator() as (provider, emulator_pid):
        with pinned_apart(emulator_pid) as pinned:
            print("In process, paired rounds:")
            figures = in_process.measure(settings, provider)
        found = None
        if not args.a_a and (not only or "footprint" in only):
            print("Footprint:")
            found = footprint.measure(provider, import_rounds)
    print_in_process(figures, settings, pinned)
    if found is not None:
        print_footprint(found)


if __name__ == "__main__":
    main()
