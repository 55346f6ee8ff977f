"""Root pytest hooks. Kept at the repo root (not tests/) so that they also reach
the notebooks/*.ipynb collectors: a conftest under tests/ applies only there."""
import os

from hypothesis import settings


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
