"""connection_info in Cinder 29's two shapes, with the options its volume manager adds to a driver's data."""

from __future__ import annotations

import dataclasses
from datetime import datetime
from typing import Any

import pytest

from api.views import attachments as views
from db.records import Attachment

STORED: dict[str, Any] = {"driver_volume_type": "iscsi", "data": {"target_iqn": "iqn.2010-10.org.openstack:v1", "target_lun": 1,
                                                  "auth_method": "CHAP", "auth_username": "u", "discard": False}}


def _attachment(connector: dict[str, object] | None = None, **data: Any) -> Attachment:
    info: dict[str, object] = {**STORED, "data": {**STORED["data"], **data}}
    return Attachment(id="a1", volume_id="v1", project_id="p", instance_uuid=None, attached_host="h",
                      mountpoint=None, attach_mode="ro", status="attaching", version=1,
                      connector=connector or {"host": "h"}, connection_info=info, attached_at=None,
                      detached_at=None, created_at=datetime(2026, 1, 1), updated_at=None)


def test_the_attachments_api_shows_it_flat_and_os_initialize_connection_nested() -> None:
    attachment = _attachment({"host": "h", "enforce_multipath": True})
    flat = views.connection_info(attachment, None, {})
    assert flat == {"target_iqn": "iqn.2010-10.org.openstack:v1", "target_lun": 1, "auth_method": "CHAP",
                    "auth_username": "u", "discard": False, "qos_specs": None, "access_mode": "ro",
                    "encrypted": False, "cacheable": False, "enforce_multipath": True,
                    "driver_volume_type": "iscsi", "attachment_id": "a1"}
    nested = views.legacy_connection_info(attachment, None, {})
    assert nested is not None and nested["driver_volume_type"] == "iscsi" and nested["enforce_multipath"] is True
    assert {key: nested["data"][key] for key in ("qos_specs", "access_mode", "encrypted", "cacheable")} == {
        "qos_specs": None, "access_mode": "ro", "encrypted": False, "cacheable": False}


@pytest.mark.parametrize(("spec", "driver", "cacheable"), [
    (None, None, False), ("<is> True", None, True), ("<is> False", None, False), ("<is> True", False, False),
    ("<is> True", True, True), (None, True, False)])
def test_cacheable_is_the_volume_types_unless_the_driver_says_no(spec: str | None, driver: bool | None,
                                                                 cacheable: bool) -> None:
    data: dict[str, Any] = {} if driver is None else {"cacheable": driver}
    specs = {} if spec is None else {"cacheable": spec}
    shown = views.connection_info(_attachment(None, **data), None, specs)
    assert shown is not None and shown["cacheable"] is cacheable


def test_no_connection_info_before_a_connection() -> None:
    reserved = dataclasses.replace(_attachment(), connection_info=None)
    assert views.connection_info(reserved, None, {}) is None
    assert views.legacy_connection_info(reserved, None, {}) is None
