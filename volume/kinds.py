"""The resource kinds ember-volume runs operations on, as the operation skeleton reads them.

One record per kind, beside the state tables (``volume/states/``): how to get it, its
transitions, what rides with its landings, how recovery finds and treats it. A volume's and an
attachment's landings settle the volume from its attachments; a volume's failure also gives
back what a pending extend reserved; an attachment's operations run one per volume at a time.
"""

from __future__ import annotations

import functools
from operator import attrgetter
from typing import Any

from db import api as db
from operations.kinds import Kind
from volume.connections import SETTLE_RULE
from volume.states.attachments import ATTACHMENT_RECOVERY, attachment_edge, attachment_recovery_of
from volume.states.groups import (
    GROUP_SNAPSHOT_RECOVERY,
    group_snapshot_edge,
    group_snapshot_members,
    group_snapshot_recovery_of,
)
from volume.states.snapshots import SNAPSHOT_RECOVERY, snapshot_edge, snapshot_recovery_of
from volume.states.volumes import RECOVERY, Status, edge, volume_recovery_of


def _stale_volumes(*, statuses: frozenset[str], older_than_s: float, backend_host: str) -> list[Any]:
    """Volumes left transient; a maintenance one only if a migration put it there (not an admin's reset)."""
    return [v for v in db.volume_list_stale(statuses=statuses, older_than_s=older_than_s, backend_host=backend_host)
            if v.status != Status.MAINTENANCE or v.migration_host]


VOLUME = Kind(
    name="volume", get=db.volume_get, edge=edge, recovery_of=volume_recovery_of,
    transient=frozenset(str(s) for s in RECOVERY), list_stale=_stale_volumes,
    # a migration's landing moves the volume's host: what it holds moves to the new pool with it
    done=db.Effects(values={"status_reason": None}, settle=SETTLE_RULE, moves_pool=True),
    fail=db.Effects(settle=SETTLE_RULE, release_pending=True),
    destroyed_by=frozenset({"delete.done", "unmanage.done"}),
    settle_now=functools.partial(db.volume_settle, rule=SETTLE_RULE))

SNAPSHOT = Kind(
    name="snapshot", get=db.snapshot_get, edge=snapshot_edge, recovery_of=snapshot_recovery_of,
    transient=frozenset(str(s) for s in SNAPSHOT_RECOVERY), list_stale=db.snapshot_list_stale,
    destroyed_by=frozenset({"delete.done", "unmanage.done"}))

ATTACHMENT = Kind(
    name="attachment", get=db.attachment_get, edge=attachment_edge, recovery_of=attachment_recovery_of,
    transient=frozenset(str(s) for s in ATTACHMENT_RECOVERY), list_stale=db.attachment_list_stale,
    done=db.Effects(settle=SETTLE_RULE), fail=db.Effects(settle=SETTLE_RULE),
    destroy=db.Effects(destroy=True, settle=SETTLE_RULE), destroyed_by=frozenset({"disconnect.done"}),
    reason_on_fail=False,  # an attachment has no status_reason: its user message is about its volume
    about=attrgetter("volume_id"), serialize_on=attrgetter("volume_id"))

# its members (one snapshot per volume) land with it: made together, or removed together
GROUP_SNAPSHOT = Kind(
    name="group_snapshot", get=db.group_snapshot_get, edge=group_snapshot_edge,
    recovery_of=group_snapshot_recovery_of,
    transient=frozenset(str(s) for s in GROUP_SNAPSHOT_RECOVERY), list_stale=db.group_snapshot_list_stale,
    done=db.Effects(members=(group_snapshot_members("create.done"),)),
    fail=db.Effects(members=(group_snapshot_members("create.fail"),
                             group_snapshot_members("delete.fail"))),
    destroy=db.Effects(destroy=True, members=(group_snapshot_members("delete.done"),)),
    destroyed_by=frozenset({"delete.done"}))

KINDS = {kind.name: kind for kind in (VOLUME, SNAPSHOT, ATTACHMENT, GROUP_SNAPSHOT)}

# what recovery looks at, in order: attachments first (a volume's status follows them)
RECOVERY_ORDER = (ATTACHMENT, VOLUME, SNAPSHOT, GROUP_SNAPSHOT)
