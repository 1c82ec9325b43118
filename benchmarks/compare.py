"""This checkout against another revision of the extension, in one process:
the before/after figure of a change.

Run from the repository root::

    python benchmarks/compare.py main             # the real path, ~2 minutes
    python benchmarks/compare.py HEAD~1 --canned  # canned token exchange

The package as it is at the revision (``git archive``) is imported under
another name beside this checkout's, and three variants of ``bench_app``
(bare Authlib, the revision's extension, this checkout's) take turns login
by login, timed as in ``run.py``: thread CPU and wall time of the callback,
medians of paired differences with their 95 % confidence intervals. With
``--canned`` the token exchange and user request are answered without a
socket (see ``breakdown.py``), which resolves a few microseconds; without
it, over loopback HTTP to the emulator in its own process.
"""

from __future__ import annotations

import argparse
import functools
import importlib
import logging
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import requests  # noqa: E402
from bench_app import create_app  # noqa: E402
from breakdown import PROVIDER  # noqa: E402
from breakdown import canned_transport  # noqa: E402
from breakdown import one_callback  # noqa: E402
from flask import Flask  # noqa: E402
from in_process import successful_callback  # noqa: E402
from paired import CPU  # noqa: E402
from paired import WALL  # noqa: E402
from paired import Measurement  # noqa: E402
from paired import alternating  # noqa: E402
from run import emulator  # noqa: E402
from run import pinned_apart  # noqa: E402

BARE = "bare"
THEN = "revision"
NOW = "checkout"


def import_revision(revision: str, into: Path) -> Any:
    """The extension's package as it is at ``revision``, imported as
    ``oauth_recover_at_revision``; its ``OAuthRecover`` class."""
    archive = subprocess.run(
        ["git", "archive", revision, "flask_oauth_recover"],
        cwd=HERE.parent,
        check=True,
        capture_output=True,
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive, check=True)
    name = "oauth_recover_at_revision"
    shutil.move(str(into / "flask_oauth_recover"), str(into / name))
    sys.path.insert(0, str(into))
    module = importlib.import_module(name)
    logger = logging.getLogger(name)
    logger.addHandler(logging.NullHandler())
    return module.OAuthRecover


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("revision", help="what to compare against, e.g. main")
    parser.add_argument("--canned", action="store_true", help="no socket")
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--logins", type=int, default=40, help="per side per round")
    args = parser.parse_args(argv)
    logger = logging.getLogger("flask_oauth_recover")
    logger.addHandler(logging.NullHandler())
    logger.propagate = False

    with ExitStack() as stack:
        then = import_revision(
            args.revision, Path(stack.enter_context(tempfile.TemporaryDirectory()))
        )
        sides: dict[str, Measurement]
        if args.canned:
            stack.enter_context(canned_transport())
            apps = build(PROVIDER, then)
            sides = {
                side: functools.partial(one_callback, app) for side, app in apps.items()
            }
        else:
            provider, pid = stack.enter_context(emulator())
            stack.enter_context(pinned_apart(pid))
            http = stack.enter_context(requests.Session())
            apps = build(provider, then)
            sides = {
                side: functools.partial(successful_callback, app, http)
                for side, app in apps.items()
            }
        print(
            f"{args.rounds} rounds of {args.logins} login callbacks per side, "
            f"{'canned transport' if args.canned else 'real token exchange'} ..."
        )
        rounds = alternating(sides, args.rounds, args.logins, warmup=50)
    print(f"\nµs per callback, median of paired differences [95% CI]; {args.revision}:")
    for clock in (CPU, WALL):
        for a, b in ((BARE, THEN), (BARE, NOW), (THEN, NOW)):
            paired = rounds.paired(clock, a, b)
            low, high = paired.difference_interval
            print(
                f"  {clock:<4} {b:>8} - {a:<8} {paired.difference:+8.1f} "
                f"[{low:+.1f}, {high:+.1f}]   ({a}: {paired.median_without:.0f})"
            )


def build(provider: str, then: Callable[..., Any]) -> dict[str, Flask]:
    return {
        BARE: create_app(wrapped=False, provider_url=provider),
        THEN: create_app(wrapped=True, provider_url=provider, extension=then),
        NOW: create_app(wrapped=True, provider_url=provider),
    }


if __name__ == "__main__":
    main()
