"""Root pytest hooks. Kept at the repo root (not tests/) so that they also reach
the notebooks/*.ipynb collectors: a conftest under tests/ applies only there."""
import os

from hypothesis import settings


def pytest_collectstart(collector):
    # Never compare stderr of notebook cells: warnings differ between library versions.
    if str(getattr(collector, "path", "")).endswith(".ipynb"):
        collector.skip_compare += ("stderr",)


# Property tests: random examples on a developer's machine, the same examples on every CI run.
settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")
