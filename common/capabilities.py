"""Capabilities a backend's pools report that the api, not only the scheduler, reads."""

from __future__ import annotations

# Whether a snapshot of an attached volume (one a host may be writing) is a single point in time on
# the pool (a copy-on-write or reflink snapshot); where it is not, the api refuses such a snapshot.
ATTACHED_SNAPSHOTS = "attached_snapshots"
