"""An attachment's state machine, and the volume status its attachments give a volume at rest.

A volume's ``status`` and ``attach_status`` follow its attachments (``settled``), computed in every
transaction that changes one; the API shows two of ember's attachment statuses by Cinder's names.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum

from operations.operation import Operation, Recovery
from volume.states.volumes import Status, plain_edge


class AttachStatus(StrEnum):
    """A volume's ``attach_status``: Cinder's values."""

    ATTACHED = "attached"
    DETACHED = "detached"
    RESERVED = "reserved"
    ATTACHING = "attaching"
    DETACHING = "detaching"
    ERROR_ATTACHING = "error_attaching"
    ERROR_DETACHING = "error_detaching"


# attach_status values an admin may set with os-reset_status (as in Cinder).
ATTACH_RESETTABLE = frozenset({AttachStatus.ATTACHED, AttachStatus.DETACHED})


class AttachmentStatus(StrEnum):
    """An attachment's own status. The API shows Cinder's names (``shown_attachment_status``)."""

    RESERVED = "reserved"        # a place held for an instance; no connector yet
    # a place held by the legacy os-reserve: its volume shows attaching, as Cinder's os-reserve leaves it
    # (shown: reserved)
    LEGACY_RESERVED = "legacy_reserved"
    CONNECTING = "connecting"    # the volume service exports the volume to the connector (shown: attaching)
    ATTACHING = "attaching"      # connection_info handed out; the host has not called os-complete yet
    ATTACHED = "attached"
    DETACHING = "detaching"      # the volume service ends the connection (and the export, for the last one)
    DETACHED = "detached"        # the status of a soft-deleted row


# event -> (statuses it may start from, status it lands in)
ATTACHMENT_TRANSITIONS: dict[str, tuple[frozenset[AttachmentStatus], AttachmentStatus]] = {
    "connect.begin": (frozenset({AttachmentStatus.RESERVED, AttachmentStatus.LEGACY_RESERVED,
                                 AttachmentStatus.ATTACHING}), AttachmentStatus.CONNECTING),
    "connect.done": (frozenset({AttachmentStatus.CONNECTING}), AttachmentStatus.ATTACHING),
    "connect.fail": (frozenset({AttachmentStatus.CONNECTING}), AttachmentStatus.RESERVED),
    "complete": (frozenset({AttachmentStatus.ATTACHING}), AttachmentStatus.ATTACHED),
    # legacy os-attach: the host says it attached, whether or not it asked for a connection first
    "mark_attached": (frozenset({AttachmentStatus.RESERVED, AttachmentStatus.LEGACY_RESERVED,
                                 AttachmentStatus.ATTACHING}), AttachmentStatus.ATTACHED),
    # a connecting attachment only once its holder is dead (the claim is revoked in the same transaction)
    "disconnect.begin": (frozenset({AttachmentStatus.CONNECTING, AttachmentStatus.ATTACHING,
                                    AttachmentStatus.ATTACHED, AttachmentStatus.DETACHING}),
                         AttachmentStatus.DETACHING),
    "disconnect.done": (frozenset({AttachmentStatus.DETACHING}), AttachmentStatus.DETACHED),
    # the storage refused to end the connection: it holds, and the user may delete the attachment again
    "disconnect.fail": (frozenset({AttachmentStatus.DETACHING}), AttachmentStatus.ATTACHED),
    # an attachment that never got a connection is deleted at once
    "unreserve": (frozenset({AttachmentStatus.RESERVED, AttachmentStatus.LEGACY_RESERVED}),
                  AttachmentStatus.DETACHED),
}

# Reservations: attachments without a connection (deleting one needs no volume service).
ATTACHMENT_RESERVATIONS = ATTACHMENT_TRANSITIONS["unreserve"][0]

# What a successor does with an attachment a dead volume service left mid-way.
ATTACHMENT_RECOVERY: dict[AttachmentStatus, Recovery] = {
    AttachmentStatus.CONNECTING: Recovery.FAIL,   # back to reserved: the host asks again (it got a 503)
    AttachmentStatus.DETACHING: Recovery.REDO,    # ending a connection and an export is idempotent
}

# Attachments that hold the volume's connection (the export stays while one exists). Each also keeps its
# host's access while it has connection_info: os-terminate_connection clears that (the host's access is
# gone and nothing gives it back) and leaves the status to os-detach, Cinder's order.
ATTACHMENT_CONNECTED = frozenset({AttachmentStatus.ATTACHING, AttachmentStatus.ATTACHED,
                                  AttachmentStatus.DETACHING})

# Connected and never completed (os-complete): past attachment_unfinished_after_s the active reports it (a
# user message, and the admins' workers/cleanup answer); only a request removes it, never a timer: its host
# may be using the volume. A reservation (no connector) holds no access and is left alone, as in Cinder:
# Nova keeps one for as long as a shelved-offloaded server exists.
ATTACHMENT_UNFINISHED = frozenset({AttachmentStatus.ATTACHING})

ATTACHMENT_OPERATIONS: dict[tuple[str, str], Operation] = {
    ("attachment", "connect"): Operation("attachment", "connect", str(AttachmentStatus.CONNECTING),
                                         "connect.done", "connect.fail", Recovery.FAIL),
    ("attachment", "disconnect"): Operation("attachment", "disconnect", str(AttachmentStatus.DETACHING),
                                            "disconnect.done", "disconnect.fail", Recovery.REDO),
}


def attachment_edge(event: str) -> tuple[frozenset[str], str]:
    return plain_edge(ATTACHMENT_TRANSITIONS[event])


# Statuses of ours the API shows by one of Cinder's names.
_SHOWN_AS: dict[str, str] = {AttachmentStatus.CONNECTING: AttachmentStatus.ATTACHING,
                             AttachmentStatus.LEGACY_RESERVED: AttachmentStatus.RESERVED}


def shown_attachment_status(status: str) -> str:
    return _SHOWN_AS.get(status, status)


# the statuses the API shows
SHOWN_ATTACHMENT_STATUSES = frozenset(str(s) for s in AttachmentStatus) - {str(s) for s in _SHOWN_AS}


def stored_attachment_statuses(shown: str) -> list[str]:
    """The statuses of ours a status the API shows stands for (its inverse of ``shown_attachment_status``)."""
    return sorted(s for s in (str(a) for a in AttachmentStatus) if shown_attachment_status(s) == shown)


# The volume statuses that follow the volume's attachments; any other (extending, error, ...) is left
# alone by attachment changes and comes back to these through its own done edge.
SETTLED = frozenset({Status.AVAILABLE, Status.RESERVED, Status.ATTACHING, Status.IN_USE, Status.DETACHING})


# A volume at rest shows its busiest attachment: the first row that names one of its attachments'
# statuses gives its (status, attach_status); with no live attachment it is available, detached.
SETTLE_ORDER: tuple[tuple[frozenset[AttachmentStatus], Status, AttachStatus], ...] = (
    (frozenset({AttachmentStatus.DETACHING}), Status.DETACHING, AttachStatus.DETACHING),
    (frozenset({AttachmentStatus.ATTACHED}), Status.IN_USE, AttachStatus.ATTACHED),
    (frozenset({AttachmentStatus.CONNECTING, AttachmentStatus.ATTACHING}), Status.ATTACHING,
     AttachStatus.ATTACHING),
    # Cinder's os-reserve moves the volume to attaching and leaves its attach_status alone
    (frozenset({AttachmentStatus.LEGACY_RESERVED}), Status.ATTACHING, AttachStatus.DETACHED),
    (frozenset({AttachmentStatus.RESERVED}), Status.RESERVED, AttachStatus.RESERVED),
)
AT_REST_UNATTACHED = (Status.AVAILABLE, AttachStatus.DETACHED)


def settled(attachment_statuses: Iterable[str]) -> tuple[Status, AttachStatus]:
    """The (status, attach_status) a volume at rest has with attachments in these statuses."""
    present = set(attachment_statuses)
    for statuses, status, attach_status in SETTLE_ORDER:
        if present & statuses:
            return status, attach_status
    return AT_REST_UNATTACHED


def attachment_recovery_of(status: str) -> tuple[Operation, Recovery]:
    name = "connect" if status == AttachmentStatus.CONNECTING else "disconnect"
    op = ATTACHMENT_OPERATIONS["attachment", name]
    return op, ATTACHMENT_RECOVERY[AttachmentStatus(status)]
