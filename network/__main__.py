"""`python -m network` runs the network command line (see network/cli.py)."""

from network.cli import main

raise SystemExit(main())
