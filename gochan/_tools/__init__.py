"""Code generators for gochan's own source (run as ``python -m gochan._tools.<name>``; never imported by gochan)."""
