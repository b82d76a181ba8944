"""Attachment requests on the api side: the v3 attachments API and the legacy volume actions.

Reserving, completing and deleting a reservation are one transaction each (``db``, which
orders them against every other request on the volume through its version). Connecting and
disconnecting are the volume service's work, so the api moves the attachment into
``connecting`` / ``detaching`` first and then calls the backend's active and waits (at most
``attachment_call_timeout_s``). A connect that gets no answer is moved back to ``reserved``
(unless a live service holds it), so the client can simply retry; a disconnect that gets no
answer stays ``detaching``, which the backend's active finishes when it is back (recovery).
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from api.actions import disclosure, volumes
from api.errors import BadRequest
from api.policies import attachments as attachment_rules
from api.request import ApiCall
from db import api as db
from db import errors as db_errors
from db.records import Attachment, Volume
from rpc.errors import ServiceUnavailable
from volume.client import VolumeClient
from volume.errors import InvalidRequest, StorageFailed, VolumeStateConflict
from volume.states.attachments import (
    ATTACHMENT_CONNECTED,
    ATTACHMENT_RESERVATIONS,
    ATTACHMENT_UNFINISHED,
    SETTLED,
    AttachmentStatus,
    attachment_edge,
    settled,
    shown_attachment_status,
)
from volume.states.volumes import RESERVABLE, RESERVABLE_MULTIATTACH, edge

log = logging.getLogger(__name__)

RULE = db.SettleRule(frozenset(str(s) for s in SETTLED), settled)
_SETTLED = RULE.follows


def get(call: ApiCall, attachment_id: str) -> Attachment:
    return call.take("attachment", attachment_id) or db.attachment_get(attachment_id, project_id=call.scope_project())


def of_volume(volume_id: str) -> list[Attachment]:
    return db.attachments_of_volume(volume_id)


# -- the v3 attachments API ------------------------------------------------------------------------

def create(call: ApiCall, *, volume_id: str, instance_uuid: str | None, connector: dict[str, Any] | None,
           mode: str = "rw") -> Attachment:
    volume = volumes.get(call, volume_id)
    if volume.multiattach and volume.bootable:  # as Cinder: a second rule for a bootable multiattach volume
        call.authorize(attachment_rules.MULTIATTACH_BOOTABLE, volumes.owner_target(volume))
    attachment = reserve(call, volume, instance_uuid=instance_uuid, mode=mode)
    if not connector:  # python-cinderclient sends {} for "no connector"
        return attachment
    return _connect_new(call, attachment, connector)


def _connect_new(call: ApiCall, attachment: Attachment, connector: dict[str, Any]) -> Attachment:
    """Connect the attachment this request just reserved; when the connect fails, the reservation goes too,
    so the client's retry (its Idempotency-Key is forgotten with the failure) starts afresh instead of
    meeting a volume that "already has an attachment"."""
    try:
        return connect(call, attachment, connector)
    except Exception:
        _drop_reservation(attachment.id)
        raise


def _drop_reservation(attachment_id: str) -> None:
    """Delete the attachment if it is (back to) reserved; a connect a live service still holds stays."""
    try:
        current = db.attachment_get(attachment_id)
    except db_errors.NotFound:
        return
    if current.status in ATTACHMENT_RESERVATIONS:
        db.attachment_transition(current.id, attachment_edge("unreserve"), rule=RULE, destroy=True,
                                 expected_version=current.version)


def is_readonly(volume: Volume) -> bool:
    """os-update_readonly_flag's mark (the metadata key Cinder shows it as): new attachments are read-only."""
    return volume.metadata.get("readonly") == "True"


def reserve(call: ApiCall, volume: Volume, *, instance_uuid: str | None, mode: str = "rw",
            status: AttachmentStatus = AttachmentStatus.RESERVED) -> Attachment:
    sources = RESERVABLE_MULTIATTACH if volume.multiattach else RESERVABLE
    accepted = frozenset(str(s) for s in sources)
    if volume.status not in accepted:
        if not volume.multiattach and volume.status in {str(s) for s in RESERVABLE_MULTIATTACH}:
            raise InvalidRequest(f"Invalid volume: volume {volume.id} already has an attachment and is not "
                                 "multiattach (create it with a volume type whose multiattach extra spec is "
                                 "'<is> True').")
        raise VolumeStateConflict("volume", volume.id, "attach it", accepted, volume.status)
    if volume.backend_host is None:
        raise InvalidRequest(f"Invalid volume: volume {volume.id} is on no backend, so it cannot be attached.")
    if is_readonly(volume):
        mode = "ro"
    attachment = db.attachment_reserve(volume.id, status=str(status), sources=accepted,
                                       expected_version=volume.version, instance_uuid=instance_uuid,
                                       attach_mode=mode, multiattach=volume.multiattach, rule=RULE,
                                       project_id=volume.project_id)
    if attachment is None:
        raise VolumeStateConflict("volume", volume.id, "attach it", accepted)
    log.info("volume %s: attachment %s reserved for instance %s", volume.id, attachment.id, instance_uuid)
    return attachment


def update(call: ApiCall, attachment_id: str, connector: dict[str, Any]) -> Attachment:
    if not connector:
        raise BadRequest("Invalid input received: an attachment update needs the host's connector.")
    return connect(call, get(call, attachment_id), connector)


def connect(call: ApiCall, attachment: Attachment, connector: dict[str, Any]) -> Attachment:
    """Export the volume to ``connector`` (through the backend's active) and return the connected attachment.

    An attachment whose connection os-terminate_connection ended is connected again.
    """
    if attachment.status == AttachmentStatus.ATTACHING and attachment.connection_info:
        if attachment.connector == connector:
            return attachment  # connected to this host already: a retry
        raise InvalidRequest(f"Invalid attachment: attachment {attachment.id} is connected to another connector; "
                             "delete it and create a new one for this host.")
    begun = db.attachment_transition(attachment.id, attachment_edge("connect.begin"), rule=RULE,
                                     expected_version=attachment.version, volume_sources=_SETTLED,
                                     connector=connector)
    if begun is None:
        _refuse(attachment.id, "connect it", "connect.begin")
    volume = db.volume_get(attachment.volume_id)
    assert volume.backend_host is not None  # reserved attachments are of placed volumes only
    try:
        answer = VolumeClient().connect_attachment(call.ctx, volume.backend_host, attachment_id=attachment.id,
                                                   timeout_s=call.settings.attachment_call_timeout_s)
    except ServiceUnavailable as error:
        if _status_of(attachment.id) == AttachmentStatus.ATTACHING:  # a successor finished it meanwhile
            return db.attachment_get(attachment.id)
        _abandon_connect(call, attachment.id)
        raise disclosure.unavailable(call, error, f"Attachment {attachment.id} was not connected: retry the "
                                                  "request.") from error
    _raise_for(call, answer, attachment.id, volume.backend_host, "connect")
    connected = db.attachment_get(attachment.id)
    if connected.status != AttachmentStatus.ATTACHING:  # a takeover moved it back before it could run
        raise ServiceUnavailable(disclosure.for_caller(
            call, f"The connection of attachment {attachment.id} was interrupted (the volume's storage service "
                  "changed hands); retry the request.", f"backend {volume.backend_host}"))
    log.info("volume %s: attachment %s connected to %s", volume.id, attachment.id, connected.attached_host)
    return connected


def _status_of(attachment_id: str) -> str | None:
    """The attachment's status now; None once it is deleted."""
    try:
        return db.attachment_get(attachment_id).status
    except db_errors.NotFound:
        return None


def _abandon_connect(call: ApiCall, attachment_id: str) -> None:
    """Back to reserved, unless a live volume service holds the connect (then it lands it)."""
    try:
        db.attachment_transition(attachment_id, attachment_edge("connect.fail"), rule=RULE,
                                 revoke=volumes.holder_check(call))
    except db_errors.Busy:
        pass


def _raise_for(call: ApiCall, answer: dict[str, Any], attachment_id: str, backend_host: str, what: str) -> None:
    """Raise what the volume service's answer says went wrong; its error text (a storage command
    line) reaches only an admin, and the volume service's log."""
    if not answer.get("acted"):
        raise ServiceUnavailable(disclosure.for_caller(
            call, f"No storage service of the volume is active right now (a takeover may be under way); the "
                  f"{what} of attachment {attachment_id} did not run: retry.", f"backend {backend_host}"))
    error = answer.get("error")
    if error:
        if answer.get("invalid"):
            raise InvalidRequest(f"Invalid connector: {error}")
        raise StorageFailed(disclosure.for_caller(
            call, f"The {what} of attachment {attachment_id} failed on the storage (request "
                  f"{call.ctx.request_id}).", f"{backend_host}: {error}"))


def complete(call: ApiCall, attachment_id: str) -> None:
    attachment = get(call, attachment_id)
    if attachment.status == AttachmentStatus.ATTACHED:
        return
    moved = db.attachment_transition(attachment.id, attachment_edge("complete"), rule=RULE,
                                     expected_version=attachment.version, attached_at=_now())
    if moved is None:
        _refuse(attachment.id, "complete it (it needs a connector first: PUT /attachments/{id})", "complete")
    log.info("volume %s: attachment %s attached", attachment.volume_id, attachment.id)


def delete(call: ApiCall, attachment_id: str) -> list[Attachment]:
    """Delete the attachment (ending its connection first); returns the volume's remaining attachments."""
    attachment = get(call, attachment_id)
    disconnect(call, attachment)
    return of_volume(attachment.volume_id)


def disconnect(call: ApiCall, attachment: Attachment) -> None:
    if attachment.status in ATTACHMENT_RESERVATIONS:
        if db.attachment_transition(attachment.id, attachment_edge("unreserve"), rule=RULE, destroy=True,
                                    expected_version=attachment.version) is None:
            _refuse(attachment.id, "delete it", "unreserve")
        log.info("volume %s: reservation %s deleted", attachment.volume_id, attachment.id)
        return
    # a connect or detach under way: refused while its service lives (Busy), taken from it when it is dead
    busy = attachment.status in (AttachmentStatus.CONNECTING, AttachmentStatus.DETACHING)
    revoke = volumes.holder_check(call) if busy else None
    try:
        begun = db.attachment_transition(attachment.id, attachment_edge("disconnect.begin"), rule=RULE,
                                         expected_version=attachment.version, revoke=revoke)
    except db_errors.Busy as busy:
        if call.is_admin:
            raise  # the admin reads which service holds it, where, and since when
        raise InvalidRequest(f"Invalid attachment: attachment {attachment.id} is busy: its storage service is "
                             f"running '{busy.operation}' on it. Wait for it to finish, then delete it again.") \
            from busy
    if begun is None:
        _refuse(attachment.id, "delete it", "disconnect.begin")
    volume = db.volume_get(attachment.volume_id)
    assert volume.backend_host is not None
    try:
        answer = VolumeClient().disconnect_attachment(call.ctx, volume.backend_host, attachment_id=attachment.id,
                                                      timeout_s=call.settings.attachment_call_timeout_s)
    except ServiceUnavailable as error:
        if _status_of(attachment.id) is None:  # the backend's new active finished the detach meanwhile
            return
        raise disclosure.unavailable(call, error, f"Attachment {attachment.id} stays detaching and its storage "
                                                  "service finishes the detach when it is back: delete it again "
                                                  "to wait for that.") from error
    _raise_for(call, answer, attachment.id, volume.backend_host, "detach")
    log.info("volume %s: attachment %s detached", volume.id, attachment.id)


def _refuse(attachment_id: str, action: str, event: str) -> None:
    sources, _ = attachment_edge(event)
    try:
        current = db.attachment_get(attachment_id)
    except db_errors.NotFound:
        raise db_errors.NotFound("Attachment", attachment_id) from None
    volume = db.volume_get(current.volume_id)
    if event == "connect.begin" and current.status in sources and volume.status not in _SETTLED:
        raise VolumeStateConflict("volume", volume.id, "connect an attachment", _SETTLED, volume.status)
    raise VolumeStateConflict("attachment", attachment_id, action,
                              {shown_attachment_status(s) for s in sources}, shown_attachment_status(current.status))


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


# -- the legacy volume actions ----------------------------------------------------------------------

def legacy_reserve(call: ApiCall, volume_id: str) -> None:
    """Cinder's os-reserve: the volume shows attaching until it is attached or unreserved."""
    reserve(call, volumes.get(call, volume_id), instance_uuid=None, status=AttachmentStatus.LEGACY_RESERVED)


def legacy_unreserve(call: ApiCall, volume_id: str) -> None:
    """Give up the volume's reservations that name no server (an instance's own are Nova's to delete)."""
    volume = volumes.get(call, volume_id)
    for attachment in of_volume(volume.id):
        if attachment.status in ATTACHMENT_RESERVATIONS and attachment.instance_uuid is None:
            disconnect(call, attachment)


def _reservations(attachments: list[Attachment]) -> list[Attachment]:
    """The reservations among ``attachments``, os-reserve's first."""
    return sorted((a for a in attachments if a.status in ATTACHMENT_RESERVATIONS),
                  key=lambda a: a.status != AttachmentStatus.LEGACY_RESERVED)


def legacy_initialize_connection(call: ApiCall, volume_id: str, connector: dict[str, Any]) -> Attachment:
    """The volume's pending attachment (or a new one) connected to ``connector``."""
    volume = volumes.get(call, volume_id)
    pending = of_volume(volume.id)
    same_host = [a for a in pending if a.status == AttachmentStatus.ATTACHING and a.connector == connector]
    if same_host:  # connected already (a retry), or again after os-terminate_connection
        return connect(call, same_host[0], connector)
    reserved = _reservations(pending)
    if reserved:  # os-reserve's: it stays reserved for the host's retry when the connect fails
        return connect(call, reserved[0], connector)
    return _connect_new(call, reserve(call, volume, instance_uuid=None), connector)


def legacy_attach(call: ApiCall, volume_id: str, *, instance_uuid: str | None, host_name: str | None,
                  mountpoint: str | None, mode: str) -> None:
    volume = volumes.get(call, volume_id)
    if is_readonly(volume) and mode != "ro":
        raise InvalidRequest(f"Invalid attaching mode '{mode}' for volume {volume.id}: the volume is read-only.")
    pending = of_volume(volume.id)
    candidates = [a for a in pending if a.status == AttachmentStatus.ATTACHING] or _reservations(pending)
    attachment = candidates[0] if candidates else reserve(call, volume, instance_uuid=instance_uuid, mode=mode)
    values: dict[str, Any] = {"attached_at": _now(), "mountpoint": mountpoint, "attach_mode": mode}
    if instance_uuid is not None:
        values["instance_uuid"] = instance_uuid
    if host_name is not None:
        values["attached_host"] = host_name
    if db.attachment_transition(attachment.id, attachment_edge("mark_attached"), rule=RULE,
                                expected_version=attachment.version, **values) is None:
        _refuse(attachment.id, "mark it attached", "mark_attached")


def legacy_detaching(call: ApiCall, volume_id: str, event: str) -> None:
    """os-begin_detaching (``detach.begin``) and os-roll_detaching (``detach.fail``): the volume's marker only."""
    volume = volumes.get(call, volume_id)
    moved = db.volume_transition(volume.id, edge(event), expected_version=volume.version)
    if moved is None:
        action = "begin detaching it" if event == "detach.begin" else "roll its detaching back"
        raise VolumeStateConflict("volume", volume.id, action, edge(event)[0], volume.status)


def legacy_detach(call: ApiCall, volume_id: str, attachment_id: str | None) -> None:
    volume = volumes.get(call, volume_id)
    attachments = of_volume(volume.id)
    if attachment_id is not None:
        chosen = _named(attachments, volume.id, attachment_id)
    elif len(attachments) > 1:
        raise BadRequest(f"Invalid input received: volume {volume.id} has {len(attachments)} attachments; say "
                         "which one with attachment_id.")
    else:
        chosen = attachments
    if not chosen:
        raise InvalidRequest(f"Invalid volume: volume {volume.id} has no attachment to detach.")
    disconnect(call, chosen[0])


def legacy_terminate_connection(call: ApiCall, volume_id: str, connector: dict[str, Any]) -> None:
    """The connector loses its access to the volume; its attachments stay until os-detach (Cinder's order).

    Their connection is recorded as ended first, so that nothing gives the access back (the
    volume service's export pass re-admits only the connections attachments still hold); then
    the backend's active takes the access away.
    """
    volume = volumes.get(call, volume_id)
    connected = frozenset(str(s) for s in ATTACHMENT_CONNECTED)
    ended = [a.id for a in of_volume(volume.id) if a.connection_info and _same_host(a.connector, connector)
             and db.attachment_connection_end(a.id, statuses=connected) is not None]
    if ended:
        log.info("volume %s: the connection of attachment %s terminated", volume.id, ", ".join(ended))
    if volume.backend_host is None or not volume.provider_location:
        return
    answer = VolumeClient().terminate_connection(call.ctx, volume.backend_host, volume_id=volume.id,
                                                 connector=connector,
                                                 timeout_s=call.settings.attachment_call_timeout_s)
    _raise_for(call, answer, volume.id, volume.backend_host, "terminate_connection")


def force_detach(call: ApiCall, volume_id: str, *, attachment_id: str | None,
                 connector: dict[str, Any] | None) -> None:
    """Admin: detach the given attachment, those of ``connector``'s host, or all, whatever their status.

    A dead volume service's claim on one is taken away first; a live one's makes it Busy (400).
    """
    volume = db.volume_get(volume_id)
    chosen = of_volume(volume.id)
    if attachment_id is not None:
        chosen = _named(chosen, volume.id, attachment_id)
    elif connector:
        chosen = [a for a in chosen if _same_host(a.connector, connector)]
    for attachment in chosen:
        disconnect(call, attachment)


def _named(attachments: list[Attachment], volume_id: str, attachment_id: str) -> list[Attachment]:
    chosen = [a for a in attachments if a.id == attachment_id]
    if not chosen:
        raise InvalidRequest(f"Invalid volume: attachment {attachment_id} is not an attachment of volume "
                             f"{volume_id}.")
    return chosen


def _same_host(theirs: dict[str, Any] | None, connector: dict[str, Any]) -> bool:
    if not theirs:
        return False
    return any(connector.get(key) and theirs.get(key) == connector.get(key) for key in ("initiator", "host"))


# -- attachments connected and never completed (workers/cleanup) -----------------------------------

def unfinished(call: ApiCall, *, backend_host: str | None, resource_id: str | None,
               detach: bool) -> list[Attachment]:
    """Attachments connected and not completed for ``attachment_unfinished_after_s`` (of the backend, and of
    the attachment or volume ``resource_id``, when given); with ``detach``, each that is still so is moved
    to detaching and its backend's active asked to end it. Returns them as they are now."""
    found = db.attachment_list_unfinished(statuses=frozenset(str(s) for s in ATTACHMENT_UNFINISHED),
                                          older_than_s=call.settings.attachment_unfinished_after_s,
                                          backend_host=backend_host, resource_id=resource_id)
    if not detach:
        return found
    shown: list[Attachment] = []
    volumes_of = db.volumes_by_id(a.volume_id for a in found)
    backends: set[str] = set()
    for attachment in found:
        begun = db.attachment_transition(attachment.id, attachment_edge("disconnect.begin"), rule=RULE,
                                         expected_version=attachment.version)
        shown.append(begun or attachment)
        volume = volumes_of.get(attachment.volume_id)
        if begun is not None and volume is not None and volume.backend_host is not None:
            log.info("volume %s: detaching attachment %s, never completed (workers/cleanup)", volume.id,
                     attachment.id)
            backends.add(volume.backend_host)
    for backend in sorted(backends):  # the active finishes a detaching attachment as its recovery does
        try:
            VolumeClient().recover(call.ctx, backend)
        except ServiceUnavailable:
            pass  # its periodic recovery does within seconds
    return shown
