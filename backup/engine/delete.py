"""Delete a backup's objects from its store (backup service): the metadata document first.

With the document gone first, a delete interrupted half-way leaves a backup that restore refuses
(incomplete) rather than one that looks complete and is missing chunks. Objects a child incremental
references live under the parent's prefix: the service refuses to delete a parent with children.
"""

from __future__ import annotations

from backup.engine.format import metadata_name
from backup.stores.base import BackupStore


def delete_backup(store: BackupStore, backup_id: str) -> int:
    """Remove every object of ``backup_id`` (a finished or an interrupted one); returns how many."""
    store.delete(metadata_name(backup_id))
    names = store.list(f"{backup_id}/")
    for name in names:
        store.delete(name)
    return len(names)
