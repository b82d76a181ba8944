"""iSCSI target helpers the block drivers hold: what an export is (iscsi.py), tgtd (tgt.py), LIO (lio.py)."""
