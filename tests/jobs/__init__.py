"""The job system's conformance suite: every store runs the same rules (docs/jobs.md)."""
