"""ember's backup data engine: chunked, hashed, compressed backups of a volume's bytes into a store.

The backup service calls ``create.create_backup``, ``restore.restore_backup`` and ``delete.delete_backup``;
the format is described in ``format.py``.
"""
