"""iSCSI exports as the DB keeps them, the connection_info os-brick reads, and what LIO would be told."""

from __future__ import annotations

import os

import pytest

from drivers.base import Export
from drivers.errors import BackendUnavailable, DriverError
from drivers.targets.iscsi import Chap, IscsiExport
from drivers.targets.lio import LioAdm, plan

IQN = "iqn.2010-10.org.openstack:volume-0b5a"


def test_export_round_trips_through_the_db_fields() -> None:
    export = IscsiExport("192.0.2.10:3260", IQN, 1, Chap("user1", "secret-16-chars!"))
    stored = export.to_export()
    assert stored.provider_location == f"192.0.2.10:3260,1 {IQN} 1"
    assert stored.provider_auth == "CHAP user1 secret-16-chars!"
    assert IscsiExport.from_export(Export(stored.provider_location, stored.provider_auth)) == export


def test_connection_info_has_what_os_brick_reads() -> None:
    info = IscsiExport("192.0.2.10:3260", IQN, 1, Chap("user1", "pw")).connection_info("0b5a")
    assert info["driver_volume_type"] == "iscsi"
    data = info["data"]
    assert {k: data[k] for k in ("target_portal", "target_iqn", "target_lun", "auth_method", "auth_username",
                                 "auth_password", "access_mode")} == {
        "target_portal": "192.0.2.10:3260", "target_iqn": IQN, "target_lun": 1, "auth_method": "CHAP",
        "auth_username": "user1", "auth_password": "pw", "access_mode": "rw"}
    assert data["target_portals"] == ["192.0.2.10:3260"] and data["target_iqns"] == [IQN]
    assert data["target_luns"] == [1] and data["volume_id"] == "0b5a" and data["encrypted"] is False


def test_without_chap_no_credentials_are_given() -> None:
    data = IscsiExport("192.0.2.10:3260", IQN, 1, None).connection_info("0b5a")["data"]
    assert "auth_method" not in data and "auth_password" not in data


def test_chap_credentials_are_new_for_every_export() -> None:
    generated = {Chap.generate() for _ in range(50)}
    assert len(generated) == 50
    assert all(len(c.username) == 20 and len(c.secret) == 16 and " " not in c.secret for c in generated)


@pytest.mark.parametrize("location, auth", [(None, None), ("only-two parts", None),
                                            (f"192.0.2.10:3260,1 {IQN} 1", "PLAIN u p")])
def test_a_foreign_export_is_refused(location: str | None, auth: str | None) -> None:
    with pytest.raises(DriverError, match="not an iSCSI export"):
        IscsiExport.from_export(Export(location, auth))


def test_lio_plan_admits_no_initiator_until_one_is_allowed() -> None:
    target = plan(IQN, "/dev/ember/volume-0b5a", Chap("user1", "pw"), "192.0.2.10:3260")
    assert (target.storage_object, target.device, target.portal_ip, target.portal_port, target.lun) == (
        "volume-0b5a", "/dev/ember/volume-0b5a", "192.0.2.10", 3260, 0)
    assert target.attributes == {"generate_node_acls": "0", "cache_dynamic_acls": "0",
                                 "demo_mode_write_protect": "1", "authentication": "1"}
    assert target.chap == Chap("user1", "pw")
    assert plan(IQN, "/dev/x", None, "[2001:db8::1]:3260").attributes["authentication"] == "0"
    assert plan(IQN, "/dev/x", None, "[2001:db8::1]:3260").portal_ip == "2001:db8::1"


@pytest.mark.skipif(os.path.isdir("/sys/kernel/config/target"), reason="this host has LIO")
def test_lio_is_reported_unusable_where_the_kernel_has_no_configfs() -> None:
    with pytest.raises(BackendUnavailable, match="LIO is not usable"):
        LioAdm("127.0.0.1:3260").setup()
