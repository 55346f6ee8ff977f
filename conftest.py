"""Root pytest hooks. Kept at the repo root (not tests/) so that they also reach
the notebooks/*.ipynb collectors: a conftest under tests/ applies only there."""
import glob
import os
import shutil

import pytest
from hypothesis import settings

# Notebooks whose lab runs on a PostgreSQL server of their own (named without their number): without the
# server programs they skip, as the store tests do (tests/conftest.py), except under CI, where they must run.
NEED_POSTGRES = ("gaps_and_rules_across_streams",)


def pytest_collection_modifyitems(config, items):
    if os.environ.get("CI") or glob.glob("/usr/lib/postgresql/*/bin/initdb") or shutil.which("initdb"):
        return
    skip = pytest.mark.skip(reason="needs PostgreSQL's server programs (apt-get install postgresql)")
    for item in items:
        if any(name in item.nodeid for name in NEED_POSTGRES):
            item.add_marker(skip)


def pytest_collectstart(collector):
    # Never compare stderr of notebook cells: warnings differ between library versions.
    if str(getattr(collector, "path", "")).endswith(".ipynb"):
        collector.skip_compare += ("stderr",)
        # Charts and panel snapshots are Markdown images (alt text and all): compare their words, not
        # their PNG bytes (nbval never compares image/png either; fonts differ between machines).
        collector.sanitize_patterns[r"\(data:image/png;base64,[A-Za-z0-9+/=]+\)"] = "(data:image/png;base64,...)"


# Property tests: random examples on a developer's machine, the same examples on every CI run.
settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")
