"""``python -m example_app [--port PORT]``: serve the demo on loopback."""

from __future__ import annotations

import argparse
import os

from . import create_app
from . import print_banner


def main() -> None:
    """Parse the command line and serve the demo until interrupted."""
    parser = argparse.ArgumentParser(prog="python -m example_app", description=__doc__)
    parser.add_argument(
        "--port",
        type=int,
        default=int(os.environ.get("FLASK_RUN_PORT", "5000")),
        help="port on 127.0.0.1 (default: $FLASK_RUN_PORT or 5000)",
    )
    args = parser.parse_args()
    app = create_app()
    print_banner(app, args.port)
    app.run(host="127.0.0.1", port=args.port)


if __name__ == "__main__":
    main()
