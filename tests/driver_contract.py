"""The contract every driver keeps, checked on the bytes a compute host would see.

Each check takes a driver and a ``Host``: the host attaches a volume the way a compute host
does (create_export, initialize_connection with its connector, then reads and writes through
the returned connection_info). The unit tier runs these checks against the file, nfs
(local share) and noop drivers; the integration tier against lvm (tgtd + libiscsi) and nfs
(nfs-ganesha + qemu's nfs:// client). A driver that stores no data (noop) is checked on
sizes and existence only.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from drivers.base import Export, VolumeDriver
from tests import datapath

GiB = 1024 ** 3
MiB = 1024 ** 2
CONNECTOR = {"initiator": "iqn.1993-08.org.debian:01:ember-test", "ip": "127.0.0.1", "host": "compute-1",
             "multipath": False, "platform": "x86_64", "os_type": "linux2"}
ORIGINAL, OVERWRITE, TAIL = 0xA1, 0xB2, 0x5C


@dataclass
class Host:
    driver: VolumeDriver
    stores_data: bool = True
    nfs_via_url: bool = False
    exports: dict[str, Export] = field(default_factory=dict)  # what the DB would keep

    def attach(self, volume_id: str) -> tuple[str, str]:
        export = self.exports.get(volume_id)
        if export is None:
            export = self.exports[volume_id] = self.driver.create_export(volume_id, CONNECTOR)
        else:
            self.driver.ensure_export(volume_id, export)
        info = self.driver.initialize_connection(volume_id, export, CONNECTOR)
        return datapath.target_of(info, nfs_via_url=self.nfs_via_url, initiator=str(CONNECTOR["initiator"]))

    def detach(self, volume_id: str) -> None:
        export = self.exports.pop(volume_id)
        self.driver.terminate_connection(volume_id, export, CONNECTOR)
        self.driver.remove_export(volume_id, export)

    def write(self, volume_id: str, pattern: int, offset: int = 0) -> None:
        if self.stores_data:
            target = self.attach(volume_id)
            datapath.write(target, pattern, offset)
            self.detach(volume_id)

    def holds(self, volume_id: str, pattern: int, offset: int = 0) -> bool:
        if not self.stores_data:
            return True
        target = self.attach(volume_id)
        try:
            return datapath.holds(target, pattern, offset)
        finally:
            self.detach(volume_id)

    def sees_size(self, volume_id: str) -> int:
        """The size the host sees; for a driver without data, the one the driver reports."""
        if not self.stores_data:
            reported = self.driver.volume_size(volume_id)
            assert reported is not None
            return reported
        target = self.attach(volume_id)
        try:
            return datapath.size(target)
        finally:
            self.detach(volume_id)


def check_life_cycle_keeps_data(host: Host) -> None:
    driver = host.driver
    driver.create_volume("v1", 1)
    assert host.sees_size("v1") == GiB and driver.volume_size("v1") == GiB
    # a new volume reads zeros, never an earlier volume's bytes
    assert host.holds("v1", 0x00) and host.holds("v1", 0x00, GiB // 2) and host.holds("v1", 0x00, GiB - MiB)
    host.write("v1", ORIGINAL)
    host.write("v1", TAIL, GiB - MiB)

    driver.create_snapshot("s1", volume_id="v1")
    host.write("v1", OVERWRITE)
    assert host.holds("v1", OVERWRITE) and host.holds("v1", TAIL, GiB - MiB)

    driver.create_volume_from_snapshot("v2", 2, snapshot_id="s1", source_volume_id="v1")
    assert host.sees_size("v2") == 2 * GiB
    assert host.holds("v2", ORIGINAL) and host.holds("v2", TAIL, GiB - MiB) and host.holds("v2", 0x00, GiB)

    driver.clone_volume("v3", 1, source_volume_id="v1")
    assert host.holds("v3", OVERWRITE) and host.holds("v3", TAIL, GiB - MiB)

    driver.revert_to_snapshot("v1", snapshot_id="s1")
    assert host.holds("v1", ORIGINAL) and host.holds("v1", TAIL, GiB - MiB)

    driver.extend_volume("v1", 2)
    assert host.sees_size("v1") == 2 * GiB and driver.volume_size("v1") == 2 * GiB
    assert host.holds("v1", ORIGINAL) and host.holds("v1", TAIL, GiB - MiB) and host.holds("v1", 0x00, GiB)
    host.write("v1", OVERWRITE, GiB + MiB)

    driver.delete_snapshot("s1", volume_id="v1")
    assert host.holds("v1", ORIGINAL) and host.holds("v1", OVERWRITE, GiB + MiB)
    assert host.holds("v2", ORIGINAL) and host.holds("v3", OVERWRITE)

    for volume_id in ("v1", "v2", "v3"):
        driver.delete_volume(volume_id)
        assert driver.volume_size(volume_id) is None


def check_snapshots_in_a_chain(host: Host) -> None:
    """Three snapshots taken in turn; deleting the middle one keeps what the others and the volume hold."""
    driver = host.driver
    driver.create_volume("v1", 1)
    for index, snapshot_id in enumerate(("s1", "s2", "s3")):
        host.write("v1", 0x10 + index, index * MiB)
        driver.create_snapshot(snapshot_id, volume_id="v1")
    host.write("v1", 0x40, 3 * MiB)
    driver.delete_snapshot("s2", volume_id="v1")
    driver.create_volume_from_snapshot("from-s3", 1, snapshot_id="s3", source_volume_id="v1")
    driver.create_volume_from_snapshot("from-s1", 1, snapshot_id="s1", source_volume_id="v1")
    assert all(host.holds("from-s3", 0x10 + i, i * MiB) for i in range(3)) and host.holds("from-s3", 0, 3 * MiB)
    assert host.holds("from-s1", 0x10) and host.holds("from-s1", 0, MiB)
    assert all(host.holds("v1", 0x10 + i, i * MiB) for i in range(3)) and host.holds("v1", 0x40, 3 * MiB)
    for snapshot_id in ("s1", "s3"):
        driver.delete_snapshot(snapshot_id, volume_id="v1")
    assert host.holds("v1", 0x11, MiB) and host.holds("v1", 0x40, 3 * MiB)
    for volume_id in ("v1", "from-s1", "from-s3"):
        driver.delete_volume(volume_id)


def check_operations_are_idempotent(host: Host) -> None:
    driver = host.driver
    driver.create_volume("v1", 1)
    host.write("v1", ORIGINAL)
    driver.create_volume("v1", 1)  # a replay keeps the data
    assert host.holds("v1", ORIGINAL) and driver.volume_size("v1") == GiB

    driver.extend_volume("v1", 2)
    driver.extend_volume("v1", 2)
    assert driver.volume_size("v1") == 2 * GiB

    driver.create_snapshot("s1", volume_id="v1")
    driver.create_snapshot("s1", volume_id="v1")
    driver.create_volume_from_snapshot("v2", 2, snapshot_id="s1", source_volume_id="v1")
    driver.create_volume_from_snapshot("v2", 2, snapshot_id="s1", source_volume_id="v1")
    driver.clone_volume("v3", 2, source_volume_id="v1")
    driver.clone_volume("v3", 2, source_volume_id="v1")
    assert host.holds("v2", ORIGINAL) and host.holds("v3", ORIGINAL)

    driver.delete_snapshot("s1", volume_id="v1")
    driver.delete_snapshot("s1", volume_id="v1")
    assert host.holds("v1", ORIGINAL)
    for volume_id in ("v1", "v2", "v3"):
        driver.delete_volume(volume_id)
        driver.delete_volume(volume_id)
        assert driver.volume_size(volume_id) is None
    driver.delete_volume("never-created")
    driver.delete_snapshot("never-created", volume_id="v1")


def check_create_of_a_smaller_existing_volume_grows_it(host: Host) -> None:
    host.driver.create_volume("v1", 1)
    host.driver.create_volume("v1", 2)
    assert host.sees_size("v1") == 2 * GiB
    host.driver.delete_volume("v1")


def check_capacity_follows_volumes(host: Host) -> None:
    driver = host.driver
    before = driver.pool_stats()
    assert before and all(p.total_capacity_gb > 0 and 0 <= p.free_capacity_gb <= p.total_capacity_gb
                          for p in before)
    assert all({"storage_protocol", "driver_version", "multiattach", "QoS_support"} <= set(p.extra) for p in before)
    driver.create_volume("v1", 3)
    after = driver.pool_stats()
    provisioned = sum(p.provisioned_capacity_gb for p in after) - sum(p.provisioned_capacity_gb for p in before)
    assert provisioned == 3
    driver.delete_volume("v1")
    assert sum(p.provisioned_capacity_gb for p in driver.pool_stats()) == sum(
        p.provisioned_capacity_gb for p in before)


ALL_CHECKS = [check_life_cycle_keeps_data, check_snapshots_in_a_chain, check_operations_are_idempotent,
              check_create_of_a_smaller_existing_volume_grows_it, check_capacity_follows_volumes]
