"""Tests of gochan.patterns: each pattern\x27s guarantees, leaks counted, time virtual."""
