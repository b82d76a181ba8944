"""Volume type lookups on the api side: a private type exists only for admins and the projects it is shared
with (type access), as in Cinder."""

from __future__ import annotations

from api.request import ApiCall
from db import api as db
from db import errors as db_errors
from db.records import VolumeType


def visible(call: ApiCall, ref: str) -> VolumeType:
    """The type whose id or name is ``ref``; NotFound if there is none or it is private and not shared with
    the caller's project (admins see every type)."""
    volume_type = db.type_get_by_name_or_id(ref)
    if not volume_type.is_public and not call.is_admin \
            and call.project_id not in db.type_access_list(volume_type.id):
        raise db_errors.NotFound("Volume type", ref)
    return volume_type


MULTIATTACH_SPEC = "multiattach"


def is_multiattach(volume_type: VolumeType) -> bool:
    """Cinder's rule: a type makes its volumes multiattach with the extra spec ``multiattach="<is> True"``."""
    return volume_type.extra_specs.get(MULTIATTACH_SPEC, "").strip().lower() == "<is> true"


def default_ref(call: ApiCall) -> str:
    """The type of a volume asked for without one: the project's default type (3.62) if it has one that
    still exists, else the config's ``default_volume_type``."""
    chosen = db.default_type_get(call.project_id)
    return chosen.volume_type_id if chosen is not None else call.settings.default_volume_type
