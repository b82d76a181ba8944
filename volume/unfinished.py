"""Attachments connected to a host and never completed: the active reports them, and never ends them.

Such an attachment (``states.ATTACHMENT_UNFINISHED``) holds its host's access to the volume, and
the host may be using it although it never called os-complete, so no timer takes it away. Once it
has not changed for ``attachment_unfinished_after_s`` the backend's active leaves its project a
user message (one per attachment) and logs it; admins also see it in the answer of workers/cleanup,
whose ``detach_unfinished_attachments`` ends it, as do an attachment delete and os-force_detach.
Run periodically by ember-volume (``volume/service.py``).
"""

from __future__ import annotations

import logging

from db import api as db
from db.records import Attachment
from volume.manager import VolumeManager
from volume.states.attachments import ATTACHMENT_UNFINISHED

log = logging.getLogger(__name__)

EVENT_ID = "ATTACHMENT_NOT_COMPLETED"


class UnfinishedAttachments:
    def __init__(self, manager: VolumeManager, *, after_s: float) -> None:
        self._manager = manager
        self._after_s = after_s
        # reported by this process: a message its user deleted is not made again every pass
        self._reported: set[str] = set()

    def report(self) -> int:
        """Report the backend's attachments unfinished for ``after_s`` that have no report yet; how many it made."""
        if not self._manager.acting():
            return 0
        found = db.attachment_list_unfinished(statuses=frozenset(str(s) for s in ATTACHMENT_UNFINISHED),
                                              older_than_s=self._after_s,
                                              backend_host=self._manager.identity.backend_host)
        self._reported &= {a.id for a in found}
        made = 0
        for attachment in found:
            if attachment.id in self._reported:
                continue
            self._reported.add(attachment.id)
            if db.message_create_once(project_id=attachment.project_id, resource_type="ATTACHMENT",
                                      resource_uuid=attachment.id, event_id=EVENT_ID,
                                      user_message=_message(attachment, self._after_s), level="WARNING"):
                log.warning("attachment %s of volume %s: connected to %s and not completed for %.0f s or more; "
                            "its host keeps its access until the attachment is deleted", attachment.id,
                            attachment.volume_id, attachment.attached_host or "a host", self._after_s)
                made += 1
        return made


def _message(attachment: Attachment, after_s: float) -> str:
    return (f"Attachment {attachment.id} of volume {attachment.volume_id} was connected to host "
            f"{attachment.attached_host or '(unnamed)'} and not completed (os-complete) for {after_s / 60:.0f} "
            "minutes or more. The host keeps its access to the volume: complete the attachment if a server "
            "uses the volume, or delete it to end that access.")
