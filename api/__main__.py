"""``python -m api [--host 127.0.0.1] [--port 8800]``: serve one org's API with waitress.

Its settings come from the environment (see ``api/settings.py``): the org's connection
profile, the API's folder, its TLS client certificate and its secrets.
"""

from __future__ import annotations

import argparse
import logging

from waitress import serve

from api import create_app
from api.settings import ConfigError


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m api", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8800)
    parser.add_argument(
        "--threads",
        type=int,
        default=32,
        help="requests served at once; each waits about a block time on the ledger",
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    try:
        app = create_app()
    except ConfigError as exc:
        parser.exit(2, f"error: {exc}\n")
    serve(app, host=args.host, port=args.port, threads=args.threads)
    return 0


raise SystemExit(main())
