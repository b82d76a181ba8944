"""Recovery finishes what a dead volume service left: replays create/extend/delete, never leaves it stuck."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from oslo_config import cfg

from db import api as db
from drivers.file import FileDriver
from volume.connections import SETTLE_RULE
from volume.election.sql import SqlElector
from volume.manager import BackendIdentity, VolumeManager
from volume.recovery import resume_stuck_work
from volume.states.attachments import AttachmentStatus, attachment_edge
from volume.states.volumes import Status, edge
from volume.unfinished import EVENT_ID, UnfinishedAttachments

HOST = "node@file-1"


@pytest.fixture
def manager(sqlite_db: str, conf: cfg.ConfigOpts, overrides: Callable[..., None], tmp_path: Path) -> VolumeManager:
    overrides("file_share_path", str(tmp_path / "share"), group="file-1")
    overrides("file_capacity_gb", 100, group="file-1")
    driver = FileDriver(conf, "file-1")
    driver.setup()
    identity = BackendIdentity(backend_host=HOST, backend_name="file-1", availability_zone="nova",
                               reserved_percentage=0, max_over_subscription_ratio=1.0, service_host="node")
    manager = VolumeManager(driver=driver, identity=identity)
    manager.lease = SqlElector(ttl_s=3600).campaign(HOST, "node")
    manager.report_pools()
    return manager


def _placed_volume(size_gb: int = 1) -> str:
    volume = db.volume_create(project_id="p", user_id="u", size_gb=size_gb, status=str(Status.CREATING),
                              availability_zone="nova")
    assert db.volume_schedule(volume.id, pool_name=f"{HOST}#share", size_gb=size_gb,
                              creating_status=str(Status.CREATING))
    return volume.id


def test_creates_extends_and_deletes_left_behind_are_replayed(manager: VolumeManager, tmp_path: Path) -> None:
    creating = _placed_volume()              # its create request died with the old service
    extending = _placed_volume()
    manager.create_volume(None, extending)  # type: ignore[arg-type]
    volume = db.volume_get(extending)
    db.volume_transition(extending, edge("extend.begin"), expected_version=volume.version, target_size_gb=3)
    deleting = _placed_volume()
    manager.create_volume(None, deleting)  # type: ignore[arg-type]
    db.volume_transition(deleting, edge("delete.begin"))

    assert resume_stuck_work(manager, older_than_s=0) == 3

    assert db.volume_get(creating).status == Status.AVAILABLE
    extended = db.volume_get(extending)
    assert (extended.status, extended.size_gb, extended.target_size_gb) == (Status.AVAILABLE, 3, None)
    assert (tmp_path / "share" / f"volume-{extending}").stat().st_size == 3 * 1024**3
    assert deleting not in {v.id for v in db.volume_list(project_id="p")}
    assert not (tmp_path / "share" / f"volume-{deleting}").exists()


def test_a_late_request_after_the_replay_changes_nothing(manager: VolumeManager) -> None:
    volume_id = _placed_volume()
    resume_stuck_work(manager, older_than_s=0)
    before = db.volume_get(volume_id)
    manager.create_volume(None, volume_id)  # type: ignore[arg-type]   # the original, finally delivered
    assert db.volume_get(volume_id) == before


def test_work_that_cannot_be_replayed_fails_cleanly(manager: VolumeManager) -> None:
    volume_id = _placed_volume()
    manager.create_volume(None, volume_id)  # type: ignore[arg-type]
    db.volume_transition(volume_id, edge("extend.begin"))  # an extend from before target sizes were kept
    resume_stuck_work(manager, older_than_s=0)
    volume = db.volume_get(volume_id)
    assert volume.status == Status.ERROR_EXTENDING and "stopped" in (volume.status_reason or "")
    assert [m.resource_uuid for m in db.message_list(project_id="p")] == [volume_id]


def test_recent_work_is_left_to_the_request_still_queued(manager: VolumeManager) -> None:
    volume_id = _placed_volume()
    assert resume_stuck_work(manager, older_than_s=3600) == 0
    assert db.volume_get(volume_id).status == Status.CREATING


# -- attachments ---------------------------------------------------------------------------------

CONNECTOR = {"initiator": "iqn.1993-08.org.debian:01:h1", "host": "h1"}
RULE = SETTLE_RULE


def _available_volume(manager: VolumeManager) -> str:
    volume_id = _placed_volume()
    manager.create_volume(None, volume_id)  # type: ignore[arg-type]
    return volume_id


def _reserved(volume_id: str) -> str:
    volume = db.volume_get(volume_id)
    attachment = db.attachment_reserve(volume_id, status="reserved", sources=frozenset({"available"}),
                                       expected_version=volume.version, instance_uuid=None, attach_mode="rw",
                                       multiattach=False, rule=RULE)
    assert attachment is not None
    return attachment.id


def _connecting(volume_id: str) -> str:
    attachment_id = _reserved(volume_id)
    assert db.attachment_transition(attachment_id, attachment_edge("connect.begin"), rule=RULE,
                                    connector=CONNECTOR) is not None
    return attachment_id


def test_a_connect_its_service_died_in_is_reserved_again_and_its_export_removed(manager: VolumeManager) -> None:
    volume_id = _available_volume(manager)
    attachment_id = _connecting(volume_id)
    # the dead service had made and recorded the export, and not yet handed out the connection
    db.volume_export_update(volume_id, provider_location="/somewhere", provider_auth=None, backend_host=HOST,
                            epoch=manager.lease.epoch if manager.lease else 0)
    assert resume_stuck_work(manager, older_than_s=0) >= 1
    attachment = db.attachment_get(attachment_id)
    assert attachment.status == AttachmentStatus.RESERVED
    volume = db.volume_get(volume_id)
    assert (volume.status, volume.provider_location) == (Status.RESERVED, None)
    assert manager.connect_attachment(None, attachment_id).acted  # type: ignore[arg-type]  # a late message
    assert db.attachment_get(attachment_id).status == AttachmentStatus.RESERVED


def test_a_detach_its_service_died_in_is_finished(manager: VolumeManager) -> None:
    volume_id = _available_volume(manager)
    attachment_id = _connecting(volume_id)
    assert manager.connect_attachment(None, attachment_id).error is None  # type: ignore[arg-type]
    assert db.volume_get(volume_id).provider_location is not None
    assert db.attachment_transition(attachment_id, attachment_edge("disconnect.begin"), rule=RULE) is not None
    assert db.volume_get(volume_id).status == Status.DETACHING
    resume_stuck_work(manager, older_than_s=0)
    volume = db.volume_get(volume_id)
    assert (volume.status, volume.attach_status, volume.provider_location) == (Status.AVAILABLE, "detached", None)
    assert db.attachments_of([volume_id]) == {}


def test_attachments_a_client_left_are_reported_once_and_never_ended_by_a_timer(manager: VolumeManager) -> None:
    reserved_on = _available_volume(manager)
    reservation_id = _reserved(reserved_on)
    connected_on = _available_volume(manager)
    attachment_id = _connecting(connected_on)
    manager.connect_attachment(None, attachment_id)  # type: ignore[arg-type]  # and never completed
    assert UnfinishedAttachments(manager, after_s=3600).report() == 0  # not unfinished for long enough yet
    assert db.message_list(project_id="p") == []

    unfinished = UnfinishedAttachments(manager, after_s=0)
    for _ in range(2):
        resume_stuck_work(manager, older_than_s=0)
        unfinished.report()
    (message,) = db.message_list(project_id="p")
    assert (message.resource_uuid, message.event_id) == (attachment_id, EVENT_ID)
    assert "keeps its access" in message.user_message and connected_on in message.user_message
    connected = db.attachment_get(attachment_id)
    assert (connected.status, bool(connected.connection_info)) == (AttachmentStatus.ATTACHING, True)
    volume = db.volume_get(connected_on)
    assert volume.status == Status.ATTACHING and volume.provider_location is not None  # the host keeps its access
    assert db.attachment_get(reservation_id).status == AttachmentStatus.RESERVED  # a reservation holds no access
    assert db.volume_get(reserved_on).status == Status.RESERVED

    db.message_delete(message.id, project_id="p")  # the user read it: this active does not make it again
    assert unfinished.report() == 0 and db.message_list(project_id="p") == []
    # a successor (after a takeover) reports it again only if no message for it is left
    assert UnfinishedAttachments(manager, after_s=0).report() == 1
    assert UnfinishedAttachments(manager, after_s=0).report() == 0


def test_a_terminated_connection_is_neither_reported_nor_given_back(manager: VolumeManager) -> None:
    volume_id = _available_volume(manager)
    attachment_id = _connecting(volume_id)
    manager.connect_attachment(None, attachment_id)  # type: ignore[arg-type]
    ended = db.attachment_connection_end(attachment_id, statuses=frozenset({"attaching", "attached"}))
    assert ended is not None and ended.connection_info is None and ended.status == AttachmentStatus.ATTACHING
    assert UnfinishedAttachments(manager, after_s=0).report() == 0
    assert manager.ensure_exports() == 1  # the export stays for the attachment, until os-detach
    assert db.volume_get(volume_id).provider_location is not None
    assert db.attachment_connection_end(attachment_id, statuses=frozenset({"reserved"})) is None


def test_a_volume_left_attaching_takes_the_status_its_attachments_give(manager: VolumeManager) -> None:
    volume_id = _available_volume(manager)
    db.volume_transition(volume_id, (frozenset({"available"}), "attaching"))  # say, by an old release
    resume_stuck_work(manager, older_than_s=0)
    assert db.volume_get(volume_id).status == Status.AVAILABLE


def test_an_export_no_attachment_holds_is_removed_by_the_export_pass(manager: VolumeManager) -> None:
    volume_id = _available_volume(manager)
    db.volume_export_update(volume_id, provider_location="/left/behind", provider_auth=None, backend_host=HOST,
                            epoch=manager.lease.epoch if manager.lease else 0)
    assert manager.ensure_exports() == 1
    assert db.volume_get(volume_id).provider_location is None
