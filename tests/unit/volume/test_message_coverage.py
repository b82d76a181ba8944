"""Every operation a volume service runs, and every one an admin reset can stop, posts its failure under an
action of its own (Cinder's id where Cinder has the action, ember's from 100 up): none is "unknown action"."""

from __future__ import annotations

from drivers.errors import DriverError
from volume import messages
from volume.states import OPERATIONS
from volume.states.volumes import WORKING_OPERATION


def test_every_operation_has_its_action() -> None:
    for resource, name in OPERATIONS:
        failed = messages.failed(resource, name, DriverError("boom"))
        assert failed.action is not messages.Action.UNKNOWN, (resource, name)
        assert failed.detail is not messages.Detail.UNKNOWN_ERROR or name in {"backup", "restore"}, (resource, name)
    for name in WORKING_OPERATION.values():
        assert messages.stopped("volume", name).action is not messages.Action.UNKNOWN, name


def test_a_failed_revert_tells_the_project_in_its_own_words() -> None:
    failed = messages.failed("volume", "revert", DriverError("lvconvert --merge failed: /dev/vg/x"))
    assert failed.event_id == "VOLUME_VOLUME_103_109"
    assert failed.text == "revert volume to snapshot: Volume driver failed to revert the volume to the snapshot."
    assert messages.stopped("volume", "revert", by_admin=True).event_id == "VOLUME_VOLUME_103_106"
