"""Notebook 8 says what its stores do, no more and no less: review findings, each pinned by a test."""
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import nbformat

NOTEBOOK = Path(__file__).resolve().parents[1] / "notebooks" / "08_from_memory_to_a_database.ipynb"


def cells():
    return nbformat.read(NOTEBOOK, as_version=4).cells


def prose():
    return " ".join(" ".join(c.source.split()) for c in cells() if c.cell_type == "markdown")


def code_cell(containing):
    return next(c.source for c in cells() if c.cell_type == "code" and containing in c.source)


def test_gaps_are_said_precisely():
    text = prose()
    assert "positions may have gaps in a database" not in text
    assert "positions without gaps" in text and "here a gap would be an event lost" in text
    assert "the `eventsourcing` library on PostgreSQL, Marten" in text and "not a lost event" not in text
    assert "has not committed *yet*" in text and "08b_gaps_and_rules_across_streams.ipynb" in text
    assert "never assume `position == previous + 1`" in text


def test_a_checkpoint_kept_elsewhere_is_safe_with_idempotent_updates():
    text = prose()
    assert "could not promise that" not in text
    assert "**idempotent update**" in text and "`last_version`" in text and "Commit the rows first" in text


def test_durability_names_fsync_and_where_full_sync_is_reached():
    text = prose()
    assert "`fsync = on`" in text
    assert 'SQLiteEventStore(path, synchronous="FULL")' in text and "`open_store`, `--db` and `eventsim serve`" in text


def test_append_if_at_version_n_says_version():
    assert "only if the stream is still at that version" in prose()
    assert "only if the stream is still there" not in prose()


def test_the_url_line_has_no_mangled_continuation():
    assert not re.search(r"\)\s{2,}\+", code_cell("EVENTSIM_DB"))


def test_the_crash_demo_says_so_when_its_writer_dies_instead_of_waiting_for_ever(tmp_path):
    """The cell runs with a writer that dies at once: it must stop with a message, not hang."""
    cell = code_cell("SIGKILL")
    script = textwrap.dedent(f"""
        import signal, subprocess, sys, time
        from pathlib import Path
        from types import SimpleNamespace
        from eventsim import open_store

        def dying_writer(args, **options):
            return subprocess.Popen([sys.executable, "-c", "raise SystemExit('no database here')"], **options)

        namespace = dict(signal=signal, sys=sys, time=time, open_store=open_store, workdir=Path({str(tmp_path)!r}),
                         subprocess=SimpleNamespace(Popen=dying_writer, PIPE=subprocess.PIPE))
        try:
            exec({cell!r}, namespace)
        except RuntimeError as error:
            print(error)
    """)
    run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert "the writer died (exit code 1)" in run.stdout and "no database here" in run.stdout, run
