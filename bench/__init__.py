"""GridLedger's benchmark: load on the real network, measured, written to `bench/REPORT.md`.

`python -m bench --help` (or `make bench`) runs every experiment against the network of
this checkout and writes the report and its charts. Throughput and latency are
measured here and never asserted in tests.
"""
