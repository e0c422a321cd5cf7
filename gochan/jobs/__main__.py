"""``python -m gochan.jobs``: the job system's command line (gochan/jobs/cli.py, docs/jobs.md)."""

import sys

from .cli import main

sys.exit(main())
