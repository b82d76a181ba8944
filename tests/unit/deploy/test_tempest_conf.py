"""tempest.conf as deploy/localcluster/tempest.py writes it: the manage references of ember's drivers."""

from __future__ import annotations

from pathlib import Path

from localcluster import tempest


def _volume_section(driver: str) -> dict[str, str]:
    settings = tempest.TempestSettings(auth_url="http://k", admin_username="a", admin_password="p",
                                       admin_project_name="admin", driver=driver,
                                       volume_features={"manage_volume": True, "manage_snapshot": True})
    return tempest.conf_sections(settings, Path("/ws"))["volume"]


def test_each_driver_names_its_unmanaged_volumes_and_snapshots_as_it_leaves_them() -> None:
    assert _volume_section("file")["manage_snapshot_ref"] == "source-name,snapshot-%s.raw"
    assert _volume_section("lvm")["manage_snapshot_ref"] == "source-name,_snapshot-%s"
    assert "manage_snapshot_ref" not in _volume_section("nfs")  # the nfs driver manages no snapshots
    assert {_volume_section(d)["manage_volume_ref"] for d in ("file", "lvm", "nfs")} == {"source-name,volume-%s"}
