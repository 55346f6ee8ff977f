#!/usr/bin/env python3
"""Set up and run the eventsim workbook using nothing but python3 (>= 3.11).

    python3 dev.py lab [ARGS...]      JupyterLab on notebooks/
    python3 dev.py test [ARGS...]     the test suite, notebooks included
    python3 dev.py outputs            re-execute notebooks and store their outputs
    python3 dev.py postgres [PORT]    a throwaway PostgreSQL server until Ctrl-C (prints its URL)
    python3 dev.py drop-schemas URL   drop the eventsim_08_* schemas notebook 8 made in that database

Each command first makes sure .venv exists and holds what it needs, reinstalling
whenever pyproject.toml has changed since the last install: `lab` installs
eventsim and what a learner needs; `test` and `outputs` add the test tools
(pytest, nbval, hypothesis, playwright, ...), the `test` extra.
"""
import glob
import hashlib
import os
import shutil
import signal
import socket
import stat
import subprocess
import sys
import tempfile
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / "bin"
STAMP = VENV / "eventsim-install.sha256"


def say(msg):
    print(f"dev.py: {msg}", flush=True)


def setup(extra):
    if sys.version_info < (3, 11):
        sys.exit("dev.py: Python >= 3.11 is needed")
    if not (BIN / "python").exists():
        say("creating .venv")
        try:
            venv.create(VENV, with_pip=True)
        except Exception as exc:  # Debian/Ubuntu without python3-venv
            shutil.rmtree(VENV, ignore_errors=True)
            sys.exit(f"dev.py: could not create .venv ({exc}); "
                     "on Debian/Ubuntu: apt-get install python3-venv")
    digest = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    installed = STAMP.read_text().split() if STAMP.exists() else []
    # A test install also serves lab; a lab install does not serve test.
    if installed[:1] == [digest] and (extra is None or extra in installed[1:]):
        return
    target = f".[{extra}]" if extra else "."
    say(f"installing eventsim{target[1:]} into .venv: the first set-up takes a minute or two")
    subprocess.run([BIN / "python", "-m", "pip", "install", "-qq",
                    "--disable-pip-version-check", "-e", target],
                   cwd=ROOT, check=True)
    STAMP.write_text(" ".join([digest, *([extra] if extra else [])]) + "\n")
    say("installed")


def lab(args):
    extra = ["--allow-root"] if os.geteuid() == 0 else []
    say("starting JupyterLab on notebooks/")
    os.execv(BIN / "jupyter", ["jupyter", "lab", "notebooks/", *extra, *args])


def test(args):
    env = {**os.environ, "PYTHONHASHSEED": "0"}  # nbval: stable set ordering
    code = subprocess.call([BIN / "python", "-m", "pytest", *args], cwd=ROOT, env=env)
    if code == 5:
        say("pytest collected no tests: that is a failure")
    return code


def outputs(args):
    return subprocess.call([BIN / "python", "scripts/store_outputs.py", *args], cwd=ROOT)


def postgres_bin():
    """The newest installed PostgreSQL server's programs (Debian keeps them off PATH), or None."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(Path(p).parts[-3]))
    initdb = found[-1] if found else shutil.which("initdb")
    return Path(initdb).parent if initdb else None


def postgres(args):
    """A PostgreSQL server of its own, in a temporary folder, on 127.0.0.1 only, until Ctrl-C.

    Made from the installed server programs, with no password (trust) and
    nothing kept: stopping it deletes the folder, its databases and every
    schema notebook 8 made in it.  Started by a program with a pipe for its
    input, it stops when that pipe closes: when the program ends, however it ends.  As root, the server runs as the
    ``postgres`` user (``initdb`` refuses root), as the tests' own server does.
    """
    bindir = postgres_bin()
    if bindir is None:
        sys.exit("dev.py: no PostgreSQL server programs found; install them: "
                 "apt-get install postgresql (Debian, Ubuntu), brew install postgresql (macOS)")
    if args and not args[0].isdecimal():
        sys.exit("dev.py: postgres takes a port number, or nothing for a free one")
    port = int(args[0]) if args else 0
    if port == 0:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
    root = Path(tempfile.mkdtemp(prefix="eventsim-postgres-"))
    as_postgres = []
    if os.geteuid() == 0:
        shutil.chown(root, "postgres")
        as_postgres = ["runuser", "-u", "postgres", "--"]

    def run(tool, *tool_args):
        result = subprocess.run([*as_postgres, str(bindir / tool), *tool_args], capture_output=True, text=True)
        if result.returncode:
            log = (root / "log").read_text() if (root / "log").exists() else ""
            raise RuntimeError(f"{tool} failed: {result.stderr.strip() or result.stdout.strip()}\n{log}".strip())

    url = f"postgresql://postgres@127.0.0.1:{port}/postgres"
    signal.signal(signal.SIGTERM, signal.default_int_handler)  # a kill stops it as Ctrl-C does
    signal.signal(signal.SIGINT, signal.default_int_handler)  # even when started in the background, where it is ignored
    started = False
    try:
        run("initdb", "-D", str(root / "data"), "-A", "trust", "-U", "postgres", "-E", "UTF8")
        run("pg_ctl", "-D", str(root / "data"), "-l", str(root / "log"), "-w", "start",
            "-o", f"-p {port} -k {root} -c listen_addresses=127.0.0.1")
        started = True
        print(f"PostgreSQL is running: {url}\n"
              f"in another terminal: EVENTSIM_DB={url} python3 dev.py lab\n"
              "Ctrl-C stops it and deletes it, with everything in it.", flush=True)
        if stat.S_ISFIFO(os.fstat(0).st_mode):  # started by a program through a pipe (notebook 8b): it
            sys.stdin.read()  # ends when that program does, even if it is killed, and never outlives it
        elif hasattr(signal, "pause"):
            signal.pause()
        else:
            input()
    except KeyboardInterrupt:
        pass
    except RuntimeError as error:
        print(f"dev.py: {error}", file=sys.stderr)
        return 1
    finally:
        if started:
            run("pg_ctl", "-D", str(root / "data"), "-m", "fast", "-w", "stop")
            say("PostgreSQL stopped and deleted")
        shutil.rmtree(root, ignore_errors=True)
    return 0


DROP_SCHEMAS = """
import sys
import psycopg
with psycopg.connect(sys.argv[1], autocommit=True) as connection:
    names = [row[0] for row in connection.execute(
        r"SELECT nspname FROM pg_namespace WHERE nspname LIKE 'eventsim\\_08\\_%' ORDER BY nspname")]
    for name in names:
        connection.execute(f'DROP SCHEMA "{name}" CASCADE')
print(f"dropped {len(names)} schema(s) of notebook 8" + (": " + ", ".join(names) if names else ""))
"""


def drop_schemas(args):
    """Drop the schemas ``eventsim_08_<time>`` that runs of notebook 8 made in the database at ``URL``."""
    if len(args) != 1 or not args[0].startswith(("postgresql://", "postgres://")):
        sys.exit("dev.py: drop-schemas takes one postgresql:// URL, the EVENTSIM_DB notebook 8 ran with")
    return subprocess.call([BIN / "python", "-c", DROP_SCHEMAS, args[0]])


COMMANDS = {"lab": lab, "test": test, "outputs": outputs, "postgres": postgres, "drop-schemas": drop_schemas}
# outputs runs nbclient and nbstripout; postgres needs nothing installed, drop-schemas psycopg (a lab install)
EXTRAS = {"lab": None, "test": "test", "outputs": "test", "postgres": None, "drop-schemas": None}

if __name__ == "__main__":
    if len(sys.argv) < 2 or sys.argv[1] not in COMMANDS:
        sys.exit(__doc__)
    os.chdir(ROOT)
    try:
        if sys.argv[1] != "postgres":
            setup(EXTRAS[sys.argv[1]])
    except subprocess.CalledProcessError as exc:
        sys.exit(f"dev.py: install failed (exit {exc.returncode})")
    sys.exit(COMMANDS[sys.argv[1]](sys.argv[2:]))
