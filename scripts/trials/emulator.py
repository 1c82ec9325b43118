"""Serve one flask_oauth_recover.testing.ProviderEmulator on 127.0.0.1 until
SIGTERM or SIGINT, for the trial scripts (scripts/try-superset,
scripts/try-airflow).

It writes the Authlib ``register()`` keyword arguments it serves
(``client_kwargs()``: client id and secret, endpoint URLs), which is what a
FAB ``OAUTH_PROVIDERS`` entry takes as ``remote_app``, to a JSON file the
trial configs read.

Faults are injected from another process over HTTP, for example::

    curl -s -X POST http://127.0.0.1:PORT/_emulator/faults \\
         -H 'Content-Type: application/json' -d '{"fault": "reject_codes", "n": 1}'

(reject_codes, deny, fail_token, hang_token, advance_clock, expire_secret,
reset: see flask_oauth_recover/testing/emulator.py).

Usage: emulator.py --port PORT --json FILE [--profile github] [--callback-url URL]
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import threading
from types import FrameType

from flask_oauth_recover.testing import ProviderEmulator


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--json", required=True, help="where to write client_kwargs()")
    parser.add_argument("--profile", default="github")
    parser.add_argument(
        "--callback-url",
        default=None,
        help="the registered callback URL (default: accept any redirect_uri)",
    )
    args = parser.parse_args()

    emulator = ProviderEmulator(profile=args.profile, callback_url=args.callback_url)
    emulator.start(port=args.port)
    tmp = args.json + ".tmp"
    with open(tmp, "w") as fh:
        json.dump(
            {"base_url": emulator.base_url, "remote_app": emulator.client_kwargs()},
            fh,
            indent=2,
        )
    os.replace(tmp, args.json)
    print(f"emulator serving on {emulator.base_url}; see {args.json}", flush=True)

    done = threading.Event()

    def stop(signum: int, frame: FrameType | None) -> None:
        done.set()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    done.wait()
    emulator.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
