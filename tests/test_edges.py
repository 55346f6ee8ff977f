"""Issue 26: nothing lost at the edges (the CLI, the stores, the JSON-lines reader under hostile input)."""
from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
import tempfile
from decimal import Decimal as D
from pathlib import Path

import pytest

from eventsim.events import OrderCreated, OrderPaid
from eventsim.stores import SQLiteEventStore

NOBODY = shutil.which("runuser") and os.geteuid() == 0


# --- an SQLite store on read-only storage ------------------------------------------------------


@pytest.mark.skipif(not NOBODY and os.geteuid() == 0, reason="root may write anywhere: needs runuser to read as nobody")
def test_a_store_on_read_only_storage_can_be_read():
    """WAL mode wants to create a ``-shm`` file beside the store: on read-only storage it cannot."""
    folder = Path(tempfile.mkdtemp(prefix="eventsim-ro-"))
    try:
        store = SQLiteEventStore(folder / "shop.db")
        store.append("order-1", [OrderCreated("1", D("10.00")), OrderPaid("1")])
        store.close()
        assert sorted(p.name for p in folder.iterdir()) == ["shop.db"]  # no -wal, no -shm left
        (folder / "shop.db").chmod(stat.S_IRUSR | stat.S_IRGRP | stat.S_IROTH)
        folder.chmod(stat.S_IRWXU & ~stat.S_IWUSR | stat.S_IRGRP | stat.S_IXGRP | stat.S_IROTH | stat.S_IXOTH)
        program = (
            "import sys; from eventsim.stores import SQLiteEventStore\n"
            "store = SQLiteEventStore(sys.argv[1])\n"
            "print(store.read_only, [r.event_type for r in store.read_all()], store.stream_version('order-1'))\n"
            "try:\n    store.append('order-2', [])\nexcept Exception as error:\n    print(type(error).__name__)\n"
        )
        command = [sys.executable, "-c", program, str(folder / "shop.db")]
        if os.geteuid() == 0:
            command = ["runuser", "-u", "nobody", "--", *command]
        result = subprocess.run(command, capture_output=True, text=True, timeout=60, cwd=folder)
        assert result.stdout.splitlines() == ["True ['OrderCreated', 'OrderPaid'] 2", "StoreError"], result.stderr
        assert sorted(p.name for p in folder.iterdir()) == ["shop.db"]
    finally:
        folder.chmod(stat.S_IRWXU)
        shutil.rmtree(folder)
