"""A resource kind declared outside volume/ runs through the skeleton: claim, work, land, fail, fence.

The kind here is what backup/ will declare: a volume's backup (backing-up -> available) with its
own Kind record, messages and work, and nothing of volume/kinds.py or the volume manager.
"""

from __future__ import annotations

from typing import Any

import pytest

from common.context import RequestContext
from db import api as db
from db import errors as db_errors
from drivers.errors import DriverError
from operations.fence import LeaseFence
from operations.kinds import Kind
from operations.operation import Operation, Recovery
from operations.runner import OperationRunner
from volume.election.base import Lease
from volume.election.sql import SqlElector
from volume.states.volumes import Status, edge

HOST = "node@backup-test"
BACKUP = Operation("volume", "backup", str(Status.BACKING_UP), "backup.done", "backup.fail", Recovery.FAIL)
CTX = RequestContext.service("test")


class Notices:
    def __init__(self) -> None:
        self.posted: list[tuple[str, str]] = []

    def failure_text(self, op: Operation, error: Exception) -> str:
        return f"{op.name} failed"

    def post_failure(self, op: Operation, error: Exception, *, project_id: str, resource_uuid: str,
                     request_id: str | None) -> None:
        self.posted.append((resource_uuid, self.failure_text(op, error)))


def _kind() -> Kind:
    def no_recovery(status: str) -> tuple[Operation, Recovery]:
        return BACKUP, Recovery.FAIL

    return Kind(name="volume", get=db.volume_get, edge=edge, recovery_of=no_recovery,
                transient=frozenset({str(Status.BACKING_UP)}), list_stale=db.volume_list_stale)


@pytest.fixture
def runner(sqlite_db: str) -> tuple[OperationRunner, Notices]:
    fence: LeaseFence[Lease] = LeaseFence(HOST)
    fence.lease = SqlElector(ttl_s=3600).campaign(HOST, "node")
    notices = Notices()
    return OperationRunner(kinds={"volume": _kind()}, fence=fence, backend_host=HOST, node="node",
                           notices=notices), notices


def _backing_up() -> str:
    volume = db.volume_create(project_id="p", user_id="u", size_gb=1, status=str(Status.CREATING),
                              availability_zone="nova")
    assert db.volume_transition(volume.id, edge("create.done")) is not None
    assert db.volume_transition(volume.id, edge("backup.begin")) is not None
    return volume.id


def test_the_work_runs_under_a_claim_and_lands_the_done_edge(runner: tuple[OperationRunner, Notices]) -> None:
    run, notices = runner
    volume_id = _backing_up()
    seen: list[int] = []

    def work(volume: Any) -> dict[str, Any]:
        seen.append(len(db.work_list(backend_host=HOST)))  # claimed while it runs
        return {"bootable": True}

    outcome = run.run(CTX, BACKUP, volume_id, work)
    volume = db.volume_get(volume_id)
    assert outcome.acted and outcome.error is None and seen == [1]
    assert (volume.status, volume.bootable) == (Status.AVAILABLE, True) and db.work_list() == []
    assert run.run(CTX, BACKUP, volume_id, work).acted and seen == [1]  # a redelivery finds it done
    assert notices.posted == []


def test_a_failed_work_lands_the_fail_edge_with_the_kinds_message(runner: tuple[OperationRunner, Notices]) -> None:
    run, notices = runner
    volume_id = _backing_up()

    def work(volume: Any) -> dict[str, Any]:
        raise DriverError("the store at 10.0.0.9 refused")

    outcome = run.run(CTX, BACKUP, volume_id, work)
    volume = db.volume_get(volume_id)
    assert outcome.acted and outcome.error is not None and "refused" in outcome.error
    assert (volume.status, volume.status_reason) == (Status.AVAILABLE, "backup failed")
    assert notices.posted == [(volume_id, "backup failed")] and db.work_list() == []


def test_without_a_valid_lease_nothing_runs_and_a_fenced_work_stops_acting(
        runner: tuple[OperationRunner, Notices]) -> None:
    run, _ = runner
    volume_id = _backing_up()
    lease = run.fence.lease

    def fenced(volume: Any) -> dict[str, Any]:
        raise db_errors.Fenced(HOST, 1)

    assert not run.run(CTX, BACKUP, volume_id, fenced).acted
    assert run.fence.lease is None and db.volume_get(volume_id).status == Status.BACKING_UP

    def never(volume: Any) -> dict[str, Any]:
        raise AssertionError("ran without the lease")

    assert not run.run(CTX, BACKUP, volume_id, never).acted
    run.fence.lease = lease
    assert run.run(CTX, BACKUP, volume_id, lambda volume: {}).acted  # the claim a fenced work left is replaced
    assert db.volume_get(volume_id).status == Status.AVAILABLE
