#!/usr/bin/env python3
"""Set up and run the eventsim workbook using nothing but python3 (>= 3.11).

    python3 dev.py lab [ARGS...]      JupyterLab on notebooks/
    python3 dev.py test [ARGS...]     the test suite, notebooks included
    python3 dev.py outputs            re-execute notebooks and store their outputs

Each command first makes sure .venv exists and holds what it needs, reinstalling
whenever pyproject.toml has changed since the last install: `lab` installs
eventsim and what a learner needs; `test` and `outputs` add the test tools
(pytest, nbval, hypothesis, playwright, ...), the `test` extra.
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


COMMANDS = {"lab": lab, "test": test, "outputs": outputs}
EXTRAS = {"lab": None, "test": "test", "outputs": "test"}  # outputs runs nbclient and nbstripout

if __name__ == "__main__":
    if len(sys.argv) < 2 or sys.argv[1] not in COMMANDS:
        sys.exit(__doc__)
    os.chdir(ROOT)
    try:
        setup(EXTRAS[sys.argv[1]])
    except subprocess.CalledProcessError as exc:
        sys.exit(f"dev.py: install failed (exit {exc.returncode})")
    sys.exit(COMMANDS[sys.argv[1]](sys.argv[2:]))
