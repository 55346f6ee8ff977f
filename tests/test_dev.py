"""dev.py: a learner's set-up installs no test tools; the test set-up does."""
import importlib.util
import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TEST_TOOLS = {"pytest", "nbval", "hypothesis", "playwright"}


def load_dev():
    spec = importlib.util.spec_from_file_location("dev", ROOT / "dev.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)  # defines functions only: the commands run under __main__
    return module


def names(requirements):
    return {re.split(r"[<>=!~ ;\[]", line, maxsplit=1)[0].lower() for line in requirements}


def test_lab_installs_eventsim_alone_and_test_adds_the_test_extra():
    dev = load_dev()
    assert dev.EXTRAS == {"lab": None, "test": "test", "outputs": "test"}
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    runtime, test = names(project["dependencies"]), names(project["optional-dependencies"]["test"])
    assert not runtime & TEST_TOOLS, f"a learner would install test tools: {sorted(runtime & TEST_TOOLS)}"
    assert TEST_TOOLS <= test
    assert "eventsourcing" in runtime, "notebook 7 compares with eventsourcing live: a learner needs it"


def test_setup_reinstalls_for_test_after_a_lab_install(tmp_path, monkeypatch):
    dev = load_dev()
    calls = []
    (tmp_path / "pyproject.toml").write_text("[project]\n")
    (tmp_path / ".venv" / "bin").mkdir(parents=True)
    (tmp_path / ".venv" / "bin" / "python").write_text("")
    monkeypatch.setattr(dev, "ROOT", tmp_path)
    monkeypatch.setattr(dev, "BIN", tmp_path / ".venv" / "bin")
    monkeypatch.setattr(dev, "STAMP", tmp_path / ".venv" / "stamp")
    monkeypatch.setattr(dev.subprocess, "run", lambda args, **kw: calls.append(args[-1]))
    dev.setup(None)
    dev.setup(None)   # nothing changed: no second install
    dev.setup("test")  # the test tools are missing: install them
    dev.setup(None)   # a test install serves lab too
    assert calls == [".", ".[test]"]
