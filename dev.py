#!/usr/bin/env python3
"""Set up and run the eventsim workbook using nothing but python3 (>= 3.11).

    python3 dev.py lab [ARGS...]      JupyterLab on notebooks/
    python3 dev.py test [ARGS...]     the test suite, notebooks included
    python3 dev.py outputs            re-execute notebooks and store their outputs

Each command first makes sure .venv exists and holds `eventsim[test]`,
reinstalling whenever pyproject.toml has changed since the last install.
"""
import hashlib
import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / "bin"
STAMP = VENV / "eventsim-install.sha256"


def say(msg):
    print(f"dev.py: {msg}", flush=True)


def setup():
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
    if STAMP.exists() and STAMP.read_text().strip() == digest:
        return
    say("installing eventsim[test] into .venv")
    subprocess.run([BIN / "python", "-m", "pip", "install", "-qq",
                    "--disable-pip-version-check", "-e", ".[test]"],
                   cwd=ROOT, check=True)
    STAMP.write_text(digest + "\n")
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


COMMANDS = {"lab": lab, "test": test, "outputs": outputs}

if __name__ == "__main__":
    if len(sys.argv) < 2 or sys.argv[1] not in COMMANDS:
        sys.exit(__doc__)
    os.chdir(ROOT)
    try:
        setup()
    except subprocess.CalledProcessError as exc:
        sys.exit(f"dev.py: install failed (exit {exc.returncode})")
    sys.exit(COMMANDS[sys.argv[1]](sys.argv[2:]))
