# The demo notebook is opened by tests/test_browser.py in a real browser; nbval should not run it too.
collect_ignore_glob = ["*.ipynb"]
