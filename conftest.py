"""Root pytest hooks. Kept at the repo root (not tests/) so that they also reach
the notebooks/*.ipynb collectors: a conftest under tests/ applies only there."""


def pytest_collectstart(collector):
    # Never compare stderr of notebook cells: warnings differ between library versions.
    if str(getattr(collector, "path", "")).endswith(".ipynb"):
        collector.skip_compare += ("stderr",)
