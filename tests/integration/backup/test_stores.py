"""The engine against real stores (a folder, Swift, S3 through Swift's s3api): full and incremental round
trips, damaged backups refused, and a backup killed mid-upload never taken for complete."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from backup.engine.create import BackupSettings
from backup.engine.errors import BackupCorrupt, BackupIncomplete
from backup.engine.restore import load_metadata
from backup.stores.base import BackupStore
from tests.unit.backup.helpers import KiB, MiB, garbage_target, make_volume, random_bytes, write_at
from tests.unit.backup.helpers import backup as run_backup
from tests.unit.backup.helpers import restore as run_restore

pytestmark = pytest.mark.integration
SETTINGS = BackupSettings(chunk_size=1 * MiB, block_size=64 * KiB)
SIZE = 32 * MiB


def _pattern_volume(path: Path) -> Path:
    # random data in half the chunks, a text pattern in a quarter, the rest never written
    writes = [(i * MiB, random_bytes(MiB)) for i in range(0, 32, 2)]
    writes += [(i * MiB, f"ember {i} ".encode() * 70000) for i in range(1, 16, 2)]
    return make_volume(path, SIZE, [(o, d[:MiB]) for o, d in writes])


def test_full_and_incremental_round_trip(store: BackupStore, tmp_path: Path) -> None:
    volume = _pattern_volume(tmp_path / "vol")
    full = run_backup(volume, store, "full", settings=SETTINGS)
    at_full = volume.read_bytes()
    for chunk in (1, 5, 20):  # about 10 % of the chunks
        write_at(volume, chunk * MiB + 4096, random_bytes(100 * KiB))
    incr = run_backup(volume, store, "incr", parent=full, settings=SETTINGS)
    at_incr = volume.read_bytes()
    assert incr.new_chunks == 3 and incr.stored_bytes < 3 * MiB + 64 * KiB
    write_at(volume, 0, random_bytes(SIZE))

    fresh = tmp_path / "fresh"
    make_volume(fresh, SIZE)
    run_restore(store, "incr", fresh, zeroed=True)
    assert fresh.read_bytes() == at_incr
    run_restore(store, "full", volume)
    assert volume.read_bytes() == at_full


def test_damaged_objects_are_refused_writing_nothing(store: BackupStore, tmp_path: Path) -> None:
    volume = _pattern_volume(tmp_path / "vol")
    meta = run_backup(volume, store, "b1", settings=SETTINGS)
    target = garbage_target(tmp_path / "target", SIZE)
    last = [c for c in meta.chunks if not c.zero][-1]
    original = store.get(last.object)

    store.put(last.object, [original[:-1] + bytes([original[-1] ^ 1])])
    with pytest.raises(BackupCorrupt, match=f"chunk object {last.object}"):
        run_restore(store, "b1", target)
    store.delete(last.object)
    with pytest.raises(BackupIncomplete, match=f"chunk object {last.object} .* is missing"):
        run_restore(store, "b1", target)
    store.put(last.object, [original[:1000]])
    with pytest.raises(BackupIncomplete, match="truncated"):
        run_restore(store, "b1", target)
    store.put(last.object, [original])
    store.put("b1/metadata.json", [store.get("b1/metadata.json")[:-40]])
    with pytest.raises(BackupIncomplete, match="metadata document is truncated"):
        run_restore(store, "b1", target)
    assert target.read_bytes() == bytes([0xEE]) * SIZE


_SLOW_BACKUP = """
import sys, time
from pathlib import Path
from tests.integration.backup.conftest import make_store
from backup.engine.create import BackupSettings, create_backup
from backup.volumes.files import FileVolumeReader
store = make_store(sys.argv[1], root=Path(sys.argv[2]), name=sys.argv[3])
def progress(done, total):
    print(done, flush=True)
    time.sleep(0.2)
create_backup(FileVolumeReader(sys.argv[4]), store, backup_id="killed", progress=progress,
              settings=BackupSettings(chunk_size=1 << 20, block_size=1 << 16, workers=2, depth=3))
print("finished", flush=True)
"""


def test_a_backup_killed_mid_upload_is_never_complete(store: BackupStore, store_kind: str, store_name: str,
                                                       tmp_path: Path) -> None:
    volume = make_volume(tmp_path / "vol", SIZE, [(0, random_bytes(SIZE))])
    env = {**os.environ, "PYTHONPATH": f"{Path.cwd()}:{Path.cwd() / 'deploy'}"}
    child = subprocess.Popen([sys.executable, "-c", _SLOW_BACKUP, store_kind, str(tmp_path / "backups"), store_name,
                              str(volume)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    assert child.stdout is not None
    try:
        for _ in range(8):  # a quarter of the chunks are stored
            line = child.stdout.readline()
            assert line.strip().isdigit(), child.stderr.read() if child.stderr else line
    finally:
        os.kill(child.pid, signal.SIGKILL)
        child.wait()
    assert any(name.startswith("killed/chunk-") for name in store.list("killed/"))
    with pytest.raises(BackupIncomplete, match="never completed"):
        load_metadata(store, "killed")
    with pytest.raises(BackupIncomplete):
        run_restore(store, "killed", garbage_target(tmp_path / "target", SIZE))
    assert (tmp_path / "target").read_bytes() == bytes([0xEE]) * SIZE
