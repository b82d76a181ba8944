"""The resources the persona matrix acts on: one shared set in project ``demo`` (made once), and fresh ones
for each call that would use up or move what it acts on (a delete, an extend, a step of the attach flow).

Fresh volumes come from a pool made in one burst at the start (their creates overlap), and every setup
step runs as the owner, demo's member, before the persona under test makes its one request.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from typing import Any

from tests.keystone.callers import Caller
from tests.keystone.matrix_expectations import CONNECTOR, Params

TOO_BIG_GB = 100_000  # beyond the file backend's 1000 GB even thinly provisioned (20x): the scheduler fails it,
# leaving a user message


class World:
    """Path parameters of the shared resources (``shared``) and factories of fresh ones (``fresh``)."""

    def __init__(self, owner: Caller, admin: Caller, *, fresh_volumes: int, fresh_messages: int) -> None:
        self.owner = owner
        self.admin = admin
        self._pool: list[str] = []
        self._backups: list[str] = []
        self._messages: list[str] = []
        self._fill_pool(fresh_volumes + 3)
        failed = [self._create_volume(size=TOO_BIG_GB) for _ in range(fresh_messages + 1)]
        volume = self.volume()
        owner.ok("POST", f"/volumes/{volume}/metadata", {"metadata": {"k": "v"}})
        snapshot = self._snapshot_of(self.volume())
        owner.ok("POST", f"/snapshots/{snapshot}/metadata", {"metadata": {"k": "v"}})
        attached = self.volume()
        attachment = owner.ok("POST", "/attachments", {"attachment": {
            "volume_uuid": attached, "instance_uuid": str(uuid.uuid4()), "connector": CONNECTOR}})["attachment"]
        volume_type = self.volume_type()
        admin.ok("POST", f"/types/{volume_type}/extra_specs", {"extra_specs": {"multiattach": "<is> True"}})
        services = admin.ok("GET", "/os-services")["services"]
        volume_service = next(s for s in services if "volume" in s["binary"])
        backup = self.backup()
        record = self._record_of(backup)
        transfer = self._transfer()
        self._messages = self._wait_messages(failed)
        self.shared: Params = {
            "volume_id": volume, "key": "k", "snapshot_id": snapshot, "attachment_id": attachment["id"],
            "type_id": volume_type, "target_project_id": owner.project_id, "message_id": self._messages.pop(),
            "action": "enable", "service_host": volume_service["host"], "service_binary": volume_service["binary"],
            "backup_id": backup, **record, **transfer, "host_name": volume_service["host"],
            "class_name": "default", "plain_type_id": self.volume_type(), "cluster_name": volume_service["host"],
            "qos_id": self.qos(), "encryption_id": str(uuid.uuid4()),
        }
        self.shared["group_type_id"] = self.group_type()
        admin.ok("POST", f"/group_types/{self.shared['group_type_id']}/group_specs", {"group_specs": {"k": "v"}})
        self.shared["group_id"] = self.group()
        self.shared["group_snapshot_id"] = self.group_snapshot()
        self.fresh: dict[str, Callable[[], Params]] = {
            "volume": lambda: {"volume_id": self.volume()},
            "reserved": lambda: self._legacy_attach("os-reserve"),
            "connected": lambda: self._legacy_attach("os-reserve", "os-initialize_connection"),
            "in_use": lambda: self._legacy_attach("os-reserve", "os-initialize_connection", "os-attach"),
            "detaching": lambda: self._legacy_attach("os-reserve", "os-initialize_connection", "os-attach",
                                                     "os-begin_detaching"),
            "metadata_key": self._metadata_key,
            "snapshot": lambda: {"snapshot_id": self._snapshot_of(self.volume())},
            "creating_snapshot": self._creating_snapshot,
            "revertible": self._revertible,
            "transfer": self._transfer,
            "default_type": self._default_type,
            "unused_project": lambda: {"target_project_id": uuid.uuid4().hex},
            "backup": lambda: {"backup_id": self.backup()},
            "backup_record": self._deleted_backup_record,
            "snapshot_metadata_key": self._snapshot_metadata_key,
            "attachment": lambda: self._attachment(connected=True),
            "reserved_attachment": lambda: self._attachment(connected=False),
            "type": lambda: {"type_id": self.volume_type()},
            "private_type": lambda: {"type_id": self.volume_type(public=False)},
            "private_type_shared": self._private_type_shared,
            "spec_key": self._spec_key,
            "qos": lambda: {"qos_id": self.qos()},
            "qos_key": self._qos_key,
            "encrypted_type": self._encrypted_type,
            "message": lambda: {"message_id": self._messages.pop()},
            "group_type": lambda: {"group_type_id": self.group_type()},
            "group_spec_key": self._group_spec_key,
            "group": lambda: {"group_id": self.group()},
            "group_snapshot": lambda: {"group_snapshot_id": self.group_snapshot()},
        }

    # --- volumes ---------------------------------------------------------------------------------------

    def _create_volume(self, *, size: int = 1) -> str:
        body = {"volume": {"size": size, "name": "matrix"}}
        return str(self.owner.ok("POST", "/volumes", body)["volume"]["id"])

    def _fill_pool(self, count: int) -> None:
        made = [self._create_volume() for _ in range(count)]
        for volume_id in made:
            self.owner.wait_for(f"/volumes/{volume_id}", "volume", "available")
        self._pool.extend(made)

    def volume(self) -> str:
        """An available volume of demo's that nobody else uses."""
        if not self._pool:
            self._fill_pool(4)
        return self._pool.pop()

    def _legacy_attach(self, *steps: str) -> Params:
        """A fresh volume taken through Nova's legacy attach flow up to (and including) ``steps``."""
        volume_id = self.volume()
        path = f"/volumes/{volume_id}/action"
        args: dict[str, dict[str, Any]] = {
            "os-reserve": {}, "os-initialize_connection": {"connector": CONNECTOR},
            "os-attach": {"instance_uuid": str(uuid.uuid4()), "mountpoint": "/dev/vdb", "mode": "rw"},
            "os-begin_detaching": {}}
        for step in steps:
            self.owner.ok("POST", path, {step: args[step]})
        params = {"volume_id": volume_id}
        if "os-attach" in steps:
            shown = self.owner.wait_for(f"/volumes/{volume_id}", "volume",
                                        "detaching" if "os-begin_detaching" in steps else "in-use")
            params["attachment_id"] = shown["attachments"][0]["attachment_id"]
        return params

    def _metadata_key(self) -> Params:
        key = f"m-{uuid.uuid4().hex[:8]}"
        self.owner.ok("POST", f"/volumes/{self.shared['volume_id']}/metadata", {"metadata": {key: "v"}})
        return {"key": key}

    # --- snapshots, attachments, types, messages ---------------------------------------------------------

    def _snapshot_of(self, volume_id: str) -> str:
        made = self.owner.ok("POST", "/snapshots", {"snapshot": {"volume_id": volume_id, "name": "matrix"}})
        snapshot_id = str(made["snapshot"]["id"])
        self.owner.wait_for(f"/snapshots/{snapshot_id}", "snapshot", "available")
        return snapshot_id

    def _creating_snapshot(self) -> Params:
        """A snapshot as Nova sees one it makes itself: still creating (an admin's reset puts it there)."""
        snapshot_id = self._snapshot_of(self.volume())
        self.admin.ok("POST", f"/snapshots/{snapshot_id}/action", {"os-reset_status": {"status": "creating"}})
        return {"snapshot_id": snapshot_id}

    # --- backups ---------------------------------------------------------------------------------------

    def backup(self) -> str:
        """An available backup of demo's that nobody else uses (made four at a time: they overlap)."""
        if not self._backups:
            # demo's backup quota (10 by default) is lifted each time: the quota rows put it back to the defaults
            self.admin.ok("PUT", f"/os-quota-sets/{self.owner.project_id}", {"quota_set": {
                "backups": -1, "backup_gigabytes": -1}})
            made = [str(self.owner.ok("POST", "/backups", {"backup": {"volume_id": self.volume(), "name": "matrix"}})
                        ["backup"]["id"]) for _ in range(4)]
            for backup_id in made:
                self.owner.wait_for(f"/backups/{backup_id}", "backup", "available", timeout_s=120)
            self._backups.extend(made)
        return self._backups.pop()

    def _deleted_backup_record(self) -> Params:
        """The exported record of a backup since deleted, which an import brings back."""
        backup_id = self.backup()
        record = self._record_of(backup_id)
        self.owner.ok("DELETE", f"/backups/{backup_id}")
        deadline = time.monotonic() + 60
        while self.owner.request("GET", f"/backups/{backup_id}").status_code != 404:
            assert time.monotonic() < deadline, f"backup {backup_id} was not deleted"
            time.sleep(0.2)
        return record

    def _record_of(self, backup_id: str) -> Params:
        record = self.admin.ok("GET", f"/backups/{backup_id}/export_record")["backup-record"]
        return {"backup_service": record["backup_service"], "backup_url": record["backup_url"]}

    def _revertible(self) -> Params:
        """A volume and its latest snapshot, to revert it to."""
        volume_id = self.volume()
        return {"volume_id": volume_id, "snapshot_id": self._snapshot_of(volume_id)}

    def _transfer(self) -> Params:
        """A pending transfer of a volume of demo's, and its key."""
        made = self.owner.ok("POST", "/os-volume-transfer", {"transfer": {"volume_id": self.volume()}})["transfer"]
        return {"transfer_id": made["id"], "auth_key": made["auth_key"]}

    def _default_type(self) -> Params:
        """A project no one uses, with a default volume type (demo's own stays unset: its volumes keep theirs)."""
        project_id = uuid.uuid4().hex
        self.admin.ok("PUT", f"/default-types/{project_id}", {"default_type": {"volume_type": self.shared["plain_type_id"]}})
        return {"target_project_id": project_id}

    def _snapshot_metadata_key(self) -> Params:
        key = f"m-{uuid.uuid4().hex[:8]}"
        self.owner.ok("POST", f"/snapshots/{self.shared['snapshot_id']}/metadata", {"metadata": {key: "v"}})
        return {"key": key}

    def _attachment(self, *, connected: bool) -> Params:
        body: dict[str, Any] = {"volume_uuid": self.volume(), "instance_uuid": str(uuid.uuid4())}
        if connected:
            body["connector"] = CONNECTOR
        return {"attachment_id": self.owner.ok("POST", "/attachments", {"attachment": body})["attachment"]["id"]}

    def volume_type(self, *, public: bool = True) -> str:
        made = self.admin.ok("POST", "/types", {"volume_type": {
            "name": f"matrix-{uuid.uuid4().hex[:8]}", "os-volume-type-access:is_public": public}})
        return str(made["volume_type"]["id"])

    def _private_type_shared(self) -> Params:
        """A private type demo may use (the admin gave it access)."""
        type_id = self.volume_type(public=False)
        self.admin.ok("POST", f"/types/{type_id}/action", {"addProjectAccess": {"project": self.owner.project_id}})
        return {"type_id": type_id}

    def _spec_key(self) -> Params:
        key = f"s-{uuid.uuid4().hex[:8]}"
        self.admin.ok("POST", f"/types/{self.shared['type_id']}/extra_specs", {"extra_specs": {key: "v"}})
        return {"key": key}

    def qos(self) -> str:
        made = self.admin.ok("POST", "/qos-specs", {"qos_specs": {"name": f"matrix-{uuid.uuid4().hex[:8]}"}})
        return str(made["qos_specs"]["id"])

    def _qos_key(self) -> Params:
        key = f"q-{uuid.uuid4().hex[:8]}"
        self.admin.ok("PUT", f"/qos-specs/{self.shared['qos_id']}", {"qos_specs": {key: "1"}})
        return {"qos_key": key}

    def _encrypted_type(self) -> Params:
        """A type (no volume uses it) with encryption specs; ``key`` names one of their fields."""
        type_id = self.volume_type()
        made = self.admin.ok("POST", f"/types/{type_id}/encryption", {"encryption": {
            "provider": "luks", "control_location": "front-end", "cipher": "aes-xts-plain64", "key_size": 256}})
        return {"type_id": type_id, "encryption_id": made["encryption"]["encryption_id"], "key": "cipher"}

    def group_type(self) -> str:
        made = self.admin.ok("POST", "/group_types", {"group_type": {"name": f"matrix-{uuid.uuid4().hex[:8]}"}})
        return str(made["group_type"]["id"])

    def _group_spec_key(self) -> Params:
        key = f"s-{uuid.uuid4().hex[:8]}"
        self.admin.ok("POST", f"/group_types/{self.shared['group_type_id']}/group_specs", {"group_specs": {key: "v"}})
        return {"key": key}

    def group(self) -> str:
        """An empty group of demo's, of the shared group type and volume type."""
        made = self.owner.ok("POST", "/groups", {"group": {"group_type": self.shared["group_type_id"],
                                                           "volume_types": [self.shared["type_id"]]}})
        return str(made["group"]["id"])

    def group_snapshot(self) -> str:
        """A group snapshot of an empty group of demo's (available at once)."""
        made = self.owner.ok("POST", "/group_snapshots", {"group_snapshot": {"group_id": self.group()}})
        return str(made["group_snapshot"]["id"])

    def _wait_messages(self, volumes: list[str], timeout_s: float = 60) -> list[str]:
        """The ids of the user messages the failed creates of ``volumes`` left in demo."""
        deadline = time.monotonic() + timeout_s
        while True:
            messages = self.owner.ok("GET", "/messages")["messages"]
            found = [m["id"] for m in messages if m.get("resource_uuid") in volumes]
            if len(found) >= len(volumes):
                return found
            assert time.monotonic() < deadline, f"only {len(found)} of {len(volumes)} user messages appeared"
            time.sleep(0.2)
