"""Runnable ports of the Go programs in the talks and articles gochan is built from.

Each module is one program: ``python -m examples.NAME`` runs it under ``gochan.run`` and prints what
the Go original prints (adapted); its ``main(...)`` takes an output callback (and, where the
program sleeps, ``unit``: the length of Go's ``time.Second``), so that the tests run it under
``gochan.testing.run`` on virtual time. docs/examples.md lists the programs and their sources.
"""
