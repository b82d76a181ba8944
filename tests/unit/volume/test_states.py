"""The state table itself: every transient status can fail, every status can be reached."""

from __future__ import annotations

from operations.operation import Recovery
from volume.states import OPERATIONS, recovery_of
from volume.states.attachments import (
    ATTACHMENT_RECOVERY,
    ATTACHMENT_RESERVATIONS,
    ATTACHMENT_TRANSITIONS,
    SETTLE_ORDER,
    SETTLED,
    AttachmentStatus,
    AttachStatus,
    settled,
)
from volume.states.backups import (
    BACKUP_RECOVERY,
    BACKUP_TRANSIENT,
    BACKUP_TRANSITIONS,
    BACKUP_VOLUME_DONE,
    BACKUP_VOLUME_FAIL,
    BackupStatus,
    backup_recovery_of,
)
from volume.states.snapshots import (
    SNAPSHOT_RECOVERY,
    SNAPSHOT_TRANSIENT,
    SNAPSHOT_TRANSITIONS,
    SnapshotStatus,
)
from volume.states.volumes import HELD_BY_BACKUP, RECOVERY, TRANSIENT, TRANSITIONS, Status, edge


def test_every_transient_status_has_a_fail_edge_out_of_it() -> None:
    for status, event in TRANSIENT.items():
        assert event.endswith(".fail")
        sources, target = TRANSITIONS[event]
        assert status in sources and target not in TRANSIENT
    for snap_status, event in SNAPSHOT_TRANSIENT.items():
        assert snap_status in SNAPSHOT_TRANSITIONS[event][0]


def test_every_status_is_reachable_from_creating() -> None:
    # a row is born creating, or managing (a manage of data already on the storage)
    reached = {Status.CREATING, Status.MANAGING}
    frontier = [Status.CREATING, Status.MANAGING]
    # at rest, a volume takes the status its attachments give it
    at_rest = [settled([str(a)])[0] for a in AttachmentStatus if a is not AttachmentStatus.DETACHED]
    while frontier:
        current = frontier.pop()
        targets = [target for sources, target in TRANSITIONS.values() if current in sources]
        if current is Status.AVAILABLE:
            targets += at_rest
        for target in targets:
            if target not in reached:
                reached.add(target)
                frontier.append(target)
    # every status through the table (maintenance also by an admin's reset, and by a migration)
    assert set(Status) == reached


def test_every_snapshot_status_is_reachable() -> None:
    targets = {target for _, target in SNAPSHOT_TRANSITIONS.values()} | {SnapshotStatus.CREATING,
                                                                          SnapshotStatus.MANAGING}
    assert targets == set(SnapshotStatus)


def test_a_volume_in_use_or_deleting_cannot_be_deleted() -> None:
    sources, _ = edge("delete.begin")
    assert "in-use" not in sources and "deleting" not in sources
    force_sources, _ = edge("force_delete.begin")
    assert "creating" in force_sources and "in-use" not in force_sources


def test_every_transient_status_has_a_recovery_rule_and_its_operation() -> None:
    settling = {status for status, rule in RECOVERY.items() if rule is Recovery.SETTLE}
    assert settling <= SETTLED
    assert set(RECOVERY) == (set(TRANSIENT) - HELD_BY_BACKUP) | settling
    assert set(SNAPSHOT_RECOVERY) == set(SNAPSHOT_TRANSIENT)
    for resource, table in (("volume", TRANSIENT), ("snapshot", SNAPSHOT_TRANSIENT)):
        for status, fail_event in table.items():
            if status in HELD_BY_BACKUP:
                continue  # recovered with its backup
            op, rule = recovery_of(resource, str(status))
            assert (op.resource, op.working, op.fail) == (resource, str(status), fail_event)
            assert rule in set(Recovery)
            if rule is Recovery.REDO:
                assert (resource, op.name) in OPERATIONS, f"{status} is redone by an operation that does not exist"


def test_every_operation_runs_in_a_transient_status_and_lands_on_table_edges() -> None:
    for (resource, name), op in OPERATIONS.items():
        if resource == "attachment":
            assert op.working in {str(s) for s in ATTACHMENT_RECOVERY}
            for event in (op.done, op.fail):
                assert op.working in {str(s) for s in ATTACHMENT_TRANSITIONS[event][0]}, (resource, event)
            continue
        transient = TRANSIENT if resource == "volume" else SNAPSHOT_TRANSIENT
        table = TRANSITIONS if resource == "volume" else SNAPSHOT_TRANSITIONS
        assert op.working in {str(s) for s in transient}, (resource, name)
        for event in (op.done, op.fail):
            sources, _ = table[event]
            assert op.working in {str(s) for s in sources}, (resource, event)


def test_a_volume_at_rest_shows_its_busiest_attachment() -> None:
    assert settled([]) == (Status.AVAILABLE, AttachStatus.DETACHED)
    assert settled(["reserved"]) == (Status.RESERVED, AttachStatus.RESERVED)
    assert settled(["reserved", "connecting"]) == (Status.ATTACHING, AttachStatus.ATTACHING)
    assert settled(["attaching", "attached"]) == (Status.IN_USE, AttachStatus.ATTACHED)
    assert settled(["attached", "detaching"]) == (Status.DETACHING, AttachStatus.DETACHING)
    # Cinder's os-reserve: attaching, and attach_status left as it was
    assert settled(["legacy_reserved"]) == (Status.ATTACHING, AttachStatus.DETACHED)
    assert settled(["legacy_reserved", "attached"]) == (Status.IN_USE, AttachStatus.ATTACHED)


def test_every_live_attachment_status_settles_its_volume_in_one_row() -> None:
    rows = [statuses for statuses, _, _ in SETTLE_ORDER]
    assert set().union(*rows) == set(AttachmentStatus) - {AttachmentStatus.DETACHED}
    assert sum(len(r) for r in rows) == len(set().union(*rows))  # no status in two rows
    assert {status for _, status, _ in SETTLE_ORDER} <= SETTLED


def test_an_in_use_volume_is_snapshotted_in_place() -> None:
    assert edge("snapshot_in_use.begin") == (frozenset({"in-use"}), "in-use")
    assert "in-use" not in edge("snapshot.begin")[0]


def test_every_attachment_status_is_reachable_and_every_mid_way_one_has_a_recovery_rule() -> None:
    targets = {target for _, target in ATTACHMENT_TRANSITIONS.values()} | ATTACHMENT_RESERVATIONS  # made by reserve
    assert targets == set(AttachmentStatus)
    for status, rule in ATTACHMENT_RECOVERY.items():
        op, found = recovery_of("attachment", str(status))
        assert (op.working, found) == (str(status), rule)
    # a connection the host still holds can always be ended
    assert {AttachmentStatus.ATTACHING, AttachmentStatus.ATTACHED} <= ATTACHMENT_TRANSITIONS["disconnect.begin"][0]


def test_every_transient_backup_status_has_a_recovery_rule_and_a_fail_edge() -> None:
    assert set(BACKUP_RECOVERY) == set(BACKUP_TRANSIENT)
    for status, event in BACKUP_TRANSIENT.items():
        sources, target = BACKUP_TRANSITIONS[event]
        assert status in sources and target not in BACKUP_TRANSIENT
        op, _ = backup_recovery_of(str(status))
        assert op.working == status and BACKUP_TRANSITIONS[op.fail][0] == frozenset({status})


def test_every_backup_status_is_reachable_and_the_volume_held_by_a_backup_is_given_back() -> None:
    targets = {target for _, target in BACKUP_TRANSITIONS.values()} | {BackupStatus.CREATING}
    assert targets == set(BackupStatus)
    # a volume a backup holds is never recovered by the volume service, and each landing releases it
    for status in HELD_BY_BACKUP:
        assert status not in RECOVERY
        assert any(status in sources for sources, _ in BACKUP_VOLUME_DONE)
        assert any(status in sources and target not in HELD_BY_BACKUP for sources, target in BACKUP_VOLUME_FAIL)
