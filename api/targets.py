"""The target a route's policy rule is checked on, as Cinder builds it.

A route whose path names a project's resource (``volume_id``, ``snapshot_id``, ``attachment_id``,
``message_id``, ``backup_id``) is checked on that resource's project and user. The resource is looked up the way
its handler looks it up, limited to the caller's project unless the caller is the cloud admin: another
project's resource is a 404 before any rule is asked, never a 403 (Cinder's answer, which tells nobody
that the id exists). The record read is kept for the handler's own first read of it (``ApiCall.take``).
``target_project_id`` (os-quota-sets) is checked on the project it names; every
other route (creates, lists, types, the admin APIs) on the caller's own project.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from api.policies.enforcer import own_target
from api.request import ApiCall
from db import api as db

Target = dict[str, Any]


def _owned(record: Any) -> Target:
    return {"project_id": record.project_id, "user_id": getattr(record, "user_id", None)}


def _kept(kind: str) -> Callable[[ApiCall, str], Target]:
    """The target of the ``kind`` record ``db.<kind>_get`` reads, which the handler's first read then takes.

    The reader is looked up at each call, not bound once: the policy read is the request's read of the
    record, and whatever wraps ``db.<kind>_get`` must see it.
    """

    def target(call: ApiCall, ref: str) -> Target:
        read = getattr(db, f"{kind}_get")
        return _owned(call.keep(kind, read(ref, project_id=call.scope_project())))

    return target


# path parameter -> the target of the resource it names
RESOURCE_TARGETS: dict[str, Callable[[ApiCall, str], Target]] = {
    "volume_id": _kept("volume"),
    "snapshot_id": _kept("snapshot"),
    "attachment_id": _kept("attachment"),
    "message_id": lambda call, ref: _owned(db.message_get(ref, project_id=call.scope_project())),
    "backup_id": _kept("backup"),
    "group_id": lambda call, ref: _owned(db.group_get(ref, project_id=call.scope_project())),
    "group_snapshot_id": lambda call, ref: _owned(db.group_snapshot_get(ref, project_id=call.scope_project())),
    "target_project_id": lambda call, ref: {"project_id": ref},
}


def resource_param(path_params: Mapping[str, Any]) -> str | None:
    """The path parameter whose resource a route's rule is checked on (None: the caller's own project)."""
    return next((name for name in path_params if name in RESOURCE_TARGETS), None)


def target_of(call: ApiCall, path_params: Mapping[str, Any]) -> Target:
    name = resource_param(path_params)
    if name is None:
        return own_target(call.ctx)
    return RESOURCE_TARGETS[name](call, path_params[name])
