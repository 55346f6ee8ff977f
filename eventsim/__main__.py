"""``python -m eventsim``: the same command line as ``eventsim``."""

from .cli import main

raise SystemExit(main())
