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
    assert dev.EXTRAS == {"lab": None, "test": "test", "outputs": "test", "postgres": None, "drop-schemas": None}
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


def test_dev_postgres_serves_a_throwaway_server_and_drop_schemas_cleans_notebook_8s(tmp_path):
    """``python3 dev.py postgres``: a server from the installed programs, its URL printed, gone after Ctrl-C."""
    import glob
    import re
    import signal
    import subprocess
    import sys

    import psycopg
    import pytest

    dev = load_dev()
    if dev.postgres_bin() is None:
        pytest.skip("no PostgreSQL server programs: apt-get install postgresql")
    before = set(glob.glob("/tmp/eventsim-postgres-*"))
    process = subprocess.Popen([sys.executable, str(ROOT / "dev.py"), "postgres"], stdin=subprocess.DEVNULL,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)  # as from a terminal
    try:
        line = process.stdout.readline()
        found = re.search(r"postgresql://postgres@127\.0\.0\.1:\d+/postgres", line)
        assert found, line + process.stderr.read() if process.poll() is not None else line
        url = found.group(0)
        with psycopg.connect(url, autocommit=True) as connection:
            for schema in ("eventsim_08_1", "eventsim_08_2", "eventsim_other"):
                connection.execute(f"CREATE SCHEMA {schema}")
        dropped = subprocess.run([sys.executable, str(ROOT / "dev.py"), "drop-schemas", url],
                                 capture_output=True, text=True, timeout=120)
        assert dropped.stdout.strip().endswith("dropped 2 schema(s) of notebook 8: eventsim_08_1, eventsim_08_2")
        with psycopg.connect(url) as connection:
            left = {row[0] for row in connection.execute("SELECT nspname FROM pg_namespace")}
        assert "eventsim_other" in left and not any(name.startswith("eventsim_08_") for name in left)
        [folder] = [Path(p) for p in set(glob.glob("/tmp/eventsim-postgres-*")) - before]
    finally:
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=60)
    assert process.returncode == 0, err
    assert "PostgreSQL stopped and deleted" in out + err and not folder.exists()
    with pytest.raises(psycopg.OperationalError):
        psycopg.connect(url, connect_timeout=2)


def test_dev_postgres_started_through_a_pipe_stops_and_deletes_itself_when_the_pipe_closes():
    """Notebook 8b starts its server so: when the kernel ends, even killed, its end of the pipe closes."""
    import glob
    import subprocess
    import sys

    import psycopg
    import pytest

    if load_dev().postgres_bin() is None:
        pytest.skip("no PostgreSQL server programs: apt-get install postgresql")
    before = set(glob.glob("/tmp/eventsim-postgres-*"))
    process = subprocess.Popen([sys.executable, str(ROOT / "dev.py"), "postgres"], stdin=subprocess.PIPE,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    url = process.stdout.readline().split(": ", 1)[1].split()[0]
    [folder] = [Path(p) for p in set(glob.glob("/tmp/eventsim-postgres-*")) - before]
    psycopg.connect(url).close()
    out, err = process.communicate(timeout=60)  # closes its input, as a process that ends does
    assert process.returncode == 0, err
    assert "PostgreSQL stopped and deleted" in out + err and not folder.exists()
