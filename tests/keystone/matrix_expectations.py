"""What Cinder 29's default policy admits on each route of ember's route table: the data of the keystone
tier's persona matrix (tests/keystone/test_persona_matrix.py). A unit test checks that every route has
its row, so a new route without one fails the fast tier too.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from typing import Any

CONNECTOR = {"initiator": "iqn.1993-08.org.debian:01:matrix", "host": "compute-matrix", "ip": "127.0.0.1",
             "platform": "x86_64", "os_type": "linux", "multipath": False}
Params = dict[str, str]


class Access(Enum):
    """Whom Cinder's default rule admits, on the project the rule is checked on."""

    TOKEN = "any valid token"
    READER = "the project's readers (and members), and the cloud admin"
    MEMBER = "the project's members, and the cloud admin"
    ADMIN = "the cloud admin only"


class Owner(Enum):
    """Where the resource a route acts on belongs, which decides what another project's member gets."""

    PATH = "demo's resource named in the path: another project's member gets 404 before any rule"
    BODY = "demo's resource named in the body: the rule passes on the caller's project, the lookup is a 404"
    CALLER = "the caller's own project (creates, lists, global types): another project acts on its own"
    PROJECT = "demo named as the project in the path (quotas): another project's member gets 403"


@dataclass(frozen=True)
class Expect:
    access: Access
    owner: Owner = Owner.PATH
    fresh: str | None = None        # World.fresh kind each admitted caller gets; None: the shared resources
    body: Callable[[Params], Any] | None = None
    allowed: int | None = None      # the admitted answer when it is not the route's success code


def _new_name(_: Params) -> dict[str, Any]:
    return {"volume_type": {"name": f"matrix-{uuid.uuid4().hex[:8]}"}}


def _transfer_rows(prefix: str) -> dict[tuple[str, str, str | None], Expect]:
    """os-volume-transfer and volume-transfers (3.55) answer alike. Accept's rule is checked on the caller's
    project and the transfer found in any project (the key is the secret): another project's member takes
    the volume, demo's reader may not."""
    one = f"{prefix}/{{transfer_id}}"
    return {
        ("POST", prefix, None): Expect(Access.MEMBER, Owner.BODY, fresh="volume", body=lambda p: {
            "transfer": {"volume_id": p["volume_id"], "name": "matrix"}}),
        ("GET", prefix, None): Expect(Access.READER, Owner.CALLER),
        ("GET", f"{prefix}/detail", None): Expect(Access.READER, Owner.CALLER),
        ("GET", one, None): Expect(Access.READER),
        ("DELETE", one, None): Expect(Access.MEMBER, fresh="transfer"),
        ("POST", f"{one}/accept", None): Expect(Access.MEMBER, Owner.CALLER, fresh="transfer", body=lambda p: {
            "accept": {"auth_key": p["auth_key"]}}),
    }


def _group_rows() -> dict[tuple[str, str, str | None], Expect]:
    """Group types and their specs (admins write them; reading a type is ember's reader rule, the specs are
    admin only), and groups (3.13: demo's own group, the shared one empty)."""
    gt, one, specs = "/v3/group_types", "/v3/group_types/{group_type_id}", "/v3/group_types/{group_type_id}/group_specs"
    g, ga, gs = "/v3/groups", "/v3/groups/{group_id}/action", "/v3/group_snapshots"
    r, p, w, c = Access.READER, Access.MEMBER, Access.ADMIN, Owner.CALLER
    return {
        ("GET", gt, None): Expect(r, c),
        ("GET", one, None): Expect(r, c),
        ("POST", gt, None): Expect(w, c, body=lambda _: {"group_type": {"name": f"matrix-{uuid.uuid4().hex[:8]}"}}),
        ("PUT", one, None): Expect(w, c, body=lambda _: {"group_type": {"description": "matrix"}}),
        ("DELETE", one, None): Expect(w, c, fresh="group_type"),
        ("GET", specs, None): Expect(w, c),
        ("POST", specs, None): Expect(w, c, body=lambda _: {"group_specs": {"k": "v"}}),
        ("GET", f"{specs}/{{key}}", None): Expect(w, c),
        ("PUT", f"{specs}/{{key}}", None): Expect(w, c, body=lambda p: {p["key"]: "v"}),
        ("DELETE", f"{specs}/{{key}}", None): Expect(w, c, fresh="group_spec_key"),
        ("POST", g, None): Expect(p, c, body=lambda p: {"group": {"group_type": p["group_type_id"],
                                                                  "volume_types": [p["type_id"]]}}),
        ("GET", g, None): Expect(r, c),
        ("GET", f"{g}/detail", None): Expect(r, c),
        ("GET", f"{g}/{{group_id}}", None): Expect(r),
        # a new description each time: an update that changes nothing is a 400, as Cinder's
        ("PUT", f"{g}/{{group_id}}", None): Expect(p, body=lambda _: {"group": {"description": uuid.uuid4().hex}}),
        ("POST", ga, "delete"): Expect(p, fresh="group", body=lambda _: {"delete": {"delete-volumes": False}}),
        ("POST", ga, "reset_status"): Expect(w, body=lambda _: {"reset_status": {"status": "available"}}),
        # from demo's shared group, which is empty: admitted callers get Cinder's "Source Group is empty" 400
        ("POST", f"{g}/action", "create-from-src"): Expect(p, Owner.BODY, allowed=400, body=lambda p: {
            "create-from-src": {"source_group_id": p["group_id"]}}),
        # of demo's (empty) group: available at once; each delete takes a fresh one
        ("POST", gs, None): Expect(p, Owner.BODY, body=lambda p: {"group_snapshot": {"group_id": p["group_id"]}}),
        ("GET", gs, None): Expect(r, c),
        ("GET", f"{gs}/detail", None): Expect(r, c),
        ("GET", f"{gs}/{{group_snapshot_id}}", None): Expect(r),
        ("DELETE", f"{gs}/{{group_snapshot_id}}", None): Expect(p, fresh="group_snapshot"),
        ("POST", f"{gs}/{{group_snapshot_id}}/action", "reset_status"): Expect(
            w, body=lambda _: {"reset_status": {"status": "available"}}),
    }


V, VA = "/v3/volumes", "/v3/volumes/{volume_id}/action"
M = "/v3/volumes/{volume_id}/metadata"
S, SA = "/v3/snapshots", "/v3/snapshots/{snapshot_id}/action"
SM = "/v3/snapshots/{snapshot_id}/metadata"
A = "/v3/attachments"
T, TA = "/v3/types", "/v3/types/{type_id}/action"
Q = "/v3/os-quota-sets/{target_project_id}"
DT = "/v3/default-types/{target_project_id}"
BK = "/v3/backups"
QS = "/v3/qos-specs"
R, P, W, B, C, PR = Access.READER, Access.MEMBER, Access.ADMIN, Owner.BODY, Owner.CALLER, Owner.PROJECT

EXPECTED: dict[tuple[str, str, str | None], Expect] = {
    ("POST", V, None): Expect(P, C, body=lambda p: {"volume": {"size": 1, "name": "matrix-made"}}),
    ("GET", V, None): Expect(R, C),
    ("GET", f"{V}/detail", None): Expect(R, C),
    ("GET", f"{V}/{{volume_id}}", None): Expect(R),
    ("PUT", f"{V}/{{volume_id}}", None): Expect(P, body=lambda p: {"volume": {"description": "by the matrix"}}),
    ("DELETE", f"{V}/{{volume_id}}", None): Expect(P, fresh="volume"),
    ("POST", VA, "os-extend"): Expect(P, fresh="volume", body=lambda p: {"os-extend": {"new_size": 2}}),
    ("POST", VA, "os-reserve"): Expect(P, fresh="volume"),
    ("POST", VA, "os-unreserve"): Expect(P, fresh="reserved"),
    ("POST", VA, "os-initialize_connection"): Expect(
        P, fresh="reserved", body=lambda p: {"os-initialize_connection": {"connector": CONNECTOR}}),
    ("POST", VA, "os-attach"): Expect(P, fresh="connected", body=lambda p: {"os-attach": {
        "instance_uuid": "0d7d4c8e-5b0e-4a8f-9a51-6f4f1d8a0a01", "mountpoint": "/dev/vdb"}}),
    ("POST", VA, "os-begin_detaching"): Expect(P, fresh="in_use"),
    ("POST", VA, "os-roll_detaching"): Expect(P, fresh="detaching"),
    ("POST", VA, "os-terminate_connection"): Expect(
        P, fresh="detaching", body=lambda p: {"os-terminate_connection": {"connector": CONNECTOR}}),
    ("POST", VA, "os-detach"): Expect(P, fresh="detaching",
                                      body=lambda p: {"os-detach": {"attachment_id": p.get("attachment_id")}}),
    ("POST", VA, "os-force_detach"): Expect(W, fresh="in_use", body=lambda p: {"os-force_detach": {
        "attachment_id": p.get("attachment_id")}}),
    ("POST", VA, "os-reset_status"): Expect(W, body=lambda p: {"os-reset_status": {"status": "available"}}),
    ("POST", VA, "os-force_delete"): Expect(W, fresh="volume"),
    ("POST", VA, "os-set_bootable"): Expect(P, body=lambda p: {"os-set_bootable": {"bootable": False}}),
    ("POST", VA, "os-update_readonly_flag"): Expect(P, body=lambda p: {"os-update_readonly_flag": {"readonly": False}}),
    # in place, to a type without extra specs (the volume's pool meets it); each retype needs its own volume
    ("POST", VA, "os-retype"): Expect(P, fresh="volume", body=lambda p: {"os-retype": {
        "new_type": p["plain_type_id"], "migration_policy": "never"}}),
    # admitted, the admin names a backend that does not exist (the matrix's stack has one backend): 400
    ("POST", VA, "os-migrate_volume"): Expect(W, body=lambda p: {"os-migrate_volume": {
        "host": "matrix-nowhere@none#none"}}, allowed=400),
    # ember's migrations complete themselves: a volume not mid-migration is Cinder's 400
    ("POST", VA, "os-migrate_volume_completion"): Expect(W, body=lambda p: {"os-migrate_volume_completion": {
        "new_volume": p["volume_id"]}}, allowed=400),
    ("GET", f"{V}/summary", None): Expect(R, C),
    # the volume's latest snapshot, of its size (3.40)
    ("POST", VA, "revert"): Expect(P, fresh="revertible", body=lambda p: {"revert": {"snapshot_id": p["snapshot_id"]}}),
    ("GET", M, None): Expect(R),
    ("POST", M, None): Expect(P, body=lambda p: {"metadata": {"k": "v"}}),
    ("PUT", M, None): Expect(P, body=lambda p: {"metadata": {"k": "v"}}),
    ("GET", f"{M}/{{key}}", None): Expect(R),
    ("PUT", f"{M}/{{key}}", None): Expect(P, body=lambda p: {"meta": {"k": "v"}}),
    ("DELETE", f"{M}/{{key}}", None): Expect(P, fresh="metadata_key"),
    ("POST", S, None): Expect(P, B, fresh="volume", body=lambda p: {"snapshot": {"volume_id": p["volume_id"]}}),
    ("GET", S, None): Expect(R, C),
    ("GET", f"{S}/detail", None): Expect(R, C),
    ("GET", f"{S}/{{snapshot_id}}", None): Expect(R),
    ("PUT", f"{S}/{{snapshot_id}}", None): Expect(P, body=lambda p: {"snapshot": {"description": "matrix"}}),
    ("DELETE", f"{S}/{{snapshot_id}}", None): Expect(P, fresh="snapshot"),
    ("POST", SA, "os-reset_status"): Expect(W, body=lambda p: {"os-reset_status": {"status": "available"}}),
    ("POST", SA, "os-force_delete"): Expect(W, fresh="snapshot"),
    # Nova's report on a snapshot it makes: only a snapshot still creating can be reported available
    ("POST", SA, "os-update_snapshot_status"): Expect(P, fresh="creating_snapshot", body=lambda p: {
        "os-update_snapshot_status": {"status": "available", "progress": "100%"}}),
    ("GET", SM, None): Expect(R),
    ("POST", SM, None): Expect(P, body=lambda p: {"metadata": {"k": "v"}}),
    ("PUT", SM, None): Expect(P, body=lambda p: {"metadata": {"k": "v"}}),
    ("GET", f"{SM}/{{key}}", None): Expect(R),
    ("PUT", f"{SM}/{{key}}", None): Expect(P, body=lambda p: {"meta": {"k": "v"}}),
    ("DELETE", f"{SM}/{{key}}", None): Expect(P, fresh="snapshot_metadata_key"),
    ("POST", A, None): Expect(P, B, fresh="volume", body=lambda p: {"attachment": {
        "volume_uuid": p["volume_id"], "instance_uuid": "0d7d4c8e-5b0e-4a8f-9a51-6f4f1d8a0a02",
        "connector": CONNECTOR}}),
    ("GET", A, None): Expect(R, C),
    ("GET", f"{A}/detail", None): Expect(R, C),
    ("GET", f"{A}/{{attachment_id}}", None): Expect(R),
    ("PUT", f"{A}/{{attachment_id}}", None): Expect(P, fresh="reserved_attachment",
                                                    body=lambda p: {"attachment": {"connector": CONNECTOR}}),
    ("DELETE", f"{A}/{{attachment_id}}", None): Expect(P, fresh="attachment"),
    ("POST", f"{A}/{{attachment_id}}/action", "os-complete"): Expect(P, fresh="attachment",
                                                                     body=lambda p: {"os-complete": {}}),
    ("GET", T, None): Expect(R, C),
    ("GET", f"{T}/{{type_id}}", None): Expect(R, C),
    ("POST", T, None): Expect(W, C, body=_new_name),
    ("PUT", f"{T}/{{type_id}}", None): Expect(W, C, body=lambda p: {"volume_type": {"description": "matrix"}}),
    ("DELETE", f"{T}/{{type_id}}", None): Expect(W, C, fresh="type"),
    ("GET", f"{T}/{{type_id}}/extra_specs", None): Expect(R, C),
    ("POST", f"{T}/{{type_id}}/extra_specs", None): Expect(W, C, body=lambda p: {"extra_specs": {"k": "v"}}),
    # multiattach: one of the extra specs every reader may see (the others are a 404 to non-admins)
    ("GET", f"{T}/{{type_id}}/extra_specs/{{key}}", None): Expect(R, C),
    ("PUT", f"{T}/{{type_id}}/extra_specs/{{key}}", None): Expect(W, C, body=lambda p: {p["key"]: "v"}),
    ("DELETE", f"{T}/{{type_id}}/extra_specs/{{key}}", None): Expect(W, C, fresh="spec_key"),
    ("POST", BK, None): Expect(P, B, fresh="volume", body=lambda p: {"backup": {"volume_id": p["volume_id"]}}),
    ("GET", BK, None): Expect(R, C),
    ("GET", f"{BK}/detail", None): Expect(R, C),
    ("GET", f"{BK}/{{backup_id}}", None): Expect(R),
    ("PUT", f"{BK}/{{backup_id}}", None): Expect(P, body=lambda p: {"backup": {"description": "by the matrix"}}),
    ("DELETE", f"{BK}/{{backup_id}}", None): Expect(P, fresh="backup"),
    # into a new volume of the caller's project; the backup is busy (restoring) meanwhile
    ("POST", f"{BK}/{{backup_id}}/restore", None): Expect(P, fresh="backup", body=lambda p: {
        "restore": {"name": "matrix-restored"}}),
    ("GET", f"{BK}/{{backup_id}}/export_record", None): Expect(W),
    # the record of a deleted backup (a live backup's record is a 400: it exists)
    ("POST", f"{BK}/import_record", None): Expect(W, C, fresh="backup_record", body=lambda p: {
        "backup-record": {"backup_service": p["backup_service"], "backup_url": p["backup_url"]}}),
    ("POST", f"{BK}/{{backup_id}}/action", "os-reset_status"): Expect(W, body=lambda p: {
        "os-reset_status": {"status": "available"}}),
    ("POST", f"{BK}/{{backup_id}}/action", "os-force_delete"): Expect(W, fresh="backup"),
    # type access: private types only (a public type's list is a 404, adding to one a 400)
    ("GET", f"{T}/{{type_id}}/os-volume-type-access", None): Expect(W, C, fresh="private_type_shared"),
    ("POST", TA, "addProjectAccess"): Expect(W, C, fresh="private_type", body=lambda p: {
        "addProjectAccess": {"project": p["target_project_id"]}}),
    ("POST", TA, "removeProjectAccess"): Expect(W, C, fresh="private_type_shared", body=lambda p: {
        "removeProjectAccess": {"project": p["target_project_id"]}}),
    ("GET", Q, None): Expect(R, PR),
    ("GET", f"{Q}/defaults", None): Expect(R, PR),
    ("PUT", Q, None): Expect(W, PR, body=lambda p: {"quota_set": {"volumes": -1}}),
    ("DELETE", Q, None): Expect(W, PR),
    ("GET", "/v3/os-quota-class-sets/{class_name}", None): Expect(W, C),
    # an empty class set changes nothing (the default class applies to every project of the run)
    ("PUT", "/v3/os-quota-class-sets/{class_name}", None): Expect(W, C, body=lambda p: {"quota_class_set": {}}),
    # default types: the admin acts on projects no one uses, so that demo's volumes keep their type
    ("PUT", DT, None): Expect(W, PR, fresh="unused_project", body=lambda p: {
        "default_type": {"volume_type": p["plain_type_id"]}}),
    ("GET", DT, None): Expect(W, PR, fresh="default_type"),
    ("GET", "/v3/default-types", None): Expect(W, C),
    ("DELETE", DT, None): Expect(W, PR, fresh="default_type"),
    ("GET", "/v3/resource_filters", None): Expect(Access.TOKEN, C),
    ("GET", "/v3/clusters", None): Expect(W, C),
    ("GET", "/v3/clusters/detail", None): Expect(W, C),
    ("GET", "/v3/clusters/{cluster_name}", None): Expect(W, C),
    ("PUT", "/v3/clusters/{action}", None): Expect(W, C, body=lambda p: {"name": p["cluster_name"]}),
    ("GET", "/v3/limits", None): Expect(Access.TOKEN, C),
    **{row: expect for prefix in ("/v3/os-volume-transfer", "/v3/volume-transfers")
       for row, expect in _transfer_rows(prefix).items()},
    ("GET", "/v3/extensions", None): Expect(Access.TOKEN, C),
    ("GET", "/v3/os-hosts", None): Expect(W, C),
    ("GET", "/v3/os-hosts/{host_name}", None): Expect(W, C),
    ("GET", "/v3/capabilities/{host_name}", None): Expect(W, C),
    ("GET", "/v3/os-availability-zone", None): Expect(Access.TOKEN, C),
    ("GET", "/v3/scheduler-stats/get_pools", None): Expect(W, C),
    ("GET", "/v3/os-services", None): Expect(W, C),
    ("PUT", "/v3/os-services/{action}", None): Expect(W, C, body=lambda p: {
        "host": p["service_host"], "binary": p["service_binary"]}),
    ("GET", "/v3/messages", None): Expect(R, C),
    ("GET", "/v3/messages/{message_id}", None): Expect(R),
    ("DELETE", "/v3/messages/{message_id}", None): Expect(P, fresh="message"),
    ("POST", "/v3/workers/cleanup", None): Expect(W, C, body=lambda p: {"resource_type": "Volume"}),
    # manage: admins only; the admitted answers are the 404 of a host (or volume) ember does not have and
    # the 400 of a list without a host, so the matrix needs nothing on a backend to manage
    **{("POST", path, None): Expect(W, C, allowed=404, body=lambda p: {"volume": {
        "host": "matrix@nowhere#pool", "ref": {"source-name": "matrix-nothing"}}})
       for path in ("/v3/os-volume-manage", "/v3/manageable_volumes")},
    **{("POST", path, None): Expect(W, C, allowed=404, body=lambda p: {"snapshot": {
        "volume_id": "00000000-0000-4000-8000-00000000dead", "ref": {"source-name": "matrix-nothing"}}})
       for path in ("/v3/os-snapshot-manage", "/v3/manageable_snapshots")},
    **{("GET", path, None): Expect(W, C, allowed=400)
       for path in ("/v3/manageable_volumes", "/v3/manageable_volumes/detail", "/v3/manageable_snapshots",
                    "/v3/manageable_snapshots/detail")},
    ("POST", VA, "os-unmanage"): Expect(W, fresh="volume"),
    ("POST", SA, "os-unmanage"): Expect(W, fresh="snapshot"),
    # QoS specs: admin only, checked on the caller's project
    ("GET", QS, None): Expect(W, C),
    ("POST", QS, None): Expect(W, C, body=lambda p: {"qos_specs": {
        "name": f"matrix-{uuid.uuid4().hex[:8]}", "consumer": "front-end", "total_iops_sec": "500"}}),
    ("GET", f"{QS}/{{qos_id}}", None): Expect(W, C),
    ("PUT", f"{QS}/{{qos_id}}", None): Expect(W, C, body=lambda p: {"qos_specs": {"read_iops_sec": "100"}}),
    ("PUT", f"{QS}/{{qos_id}}/delete_keys", None): Expect(W, C, fresh="qos_key", body=lambda p: {
        "keys": [p.get("qos_key", "read_iops_sec")]}),
    ("DELETE", f"{QS}/{{qos_id}}", None): Expect(W, C, fresh="qos"),
    ("GET", f"{QS}/{{qos_id}}/associations", None): Expect(W, C),
    # the matrix sends no query: without vol_type_id the admin gets Cinder's 400
    ("GET", f"{QS}/{{qos_id}}/associate", None): Expect(W, C, allowed=400),
    ("GET", f"{QS}/{{qos_id}}/disassociate", None): Expect(W, C, allowed=400),
    ("GET", f"{QS}/{{qos_id}}/disassociate_all", None): Expect(W, C, fresh="qos"),
    # type encryption: admin only; the shared type has none (its show is {})
    ("GET", f"{T}/{{type_id}}/encryption", None): Expect(W, C),
    ("GET", f"{T}/{{type_id}}/encryption/{{key}}", None): Expect(W, C, fresh="encrypted_type"),
    ("POST", f"{T}/{{type_id}}/encryption", None): Expect(W, C, fresh="type", body=lambda p: {"encryption": {
        "provider": "luks", "control_location": "front-end", "cipher": "aes-xts-plain64", "key_size": 256}}),
    ("PUT", f"{T}/{{type_id}}/encryption/{{encryption_id}}", None): Expect(W, C, fresh="encrypted_type",
                                                                          body=lambda p: {"encryption": {
                                                                              "key_size": 512}}),
    ("DELETE", f"{T}/{{type_id}}/encryption/{{encryption_id}}", None): Expect(W, C, fresh="encrypted_type"),
    **_group_rows(),
}
# the extra spec key the shared type's key routes name
SHARED_SPEC_KEY = "multiattach"
