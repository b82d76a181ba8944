"""QoS through a running in-process stack (file driver): front-end keys in the connection_info of both
attach flows, back-end keys handed to the driver at create and connect, and what it leaves unenforced
logged by the volume service."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import pytest
from oslo_config import cfg
from starlette.testclient import TestClient

from api.app import create_app
from drivers.base import NOT_ENFORCED_BY_FILES, NOT_ENFORCED_BY_TGTD
from tests.unit.api.conftest import Api
from tests.unit.conftest import wait_for
from tests.unit.volume.test_attach_flow import CONNECTOR, SERVER, V


@pytest.fixture
def api(stack: object, conf: cfg.ConfigOpts) -> Iterator[Api]:
    with TestClient(create_app(conf)) as client:
        yield Api(client, "admin:admin", V)


def _typed_volume(api: Api, consumer: str, **specs: str) -> dict[str, Any]:
    qos = api.post("/qos-specs", {"qos_specs": {"name": f"q-{consumer}", "consumer": consumer, **specs}})
    type_id = api.post("/types", {"volume_type": {"name": f"t-{consumer}"}}).json()["volume_type"]["id"]
    assert api.get(f"/qos-specs/{qos.json()['qos_specs']['id']}/associate?vol_type_id={type_id}").status_code == 202
    volume = api.create_volume(3, volume_type=type_id)
    wait_for(lambda: api.get(f"/volumes/{volume['id']}").json()["volume"]["status"] == "available",
             what="available")
    return volume


def test_front_end_keys_in_both_attach_flows(api: Api) -> None:
    volume = _typed_volume(api, "both", read_iops_sec_per_gb="10", write_bytes_sec="1000")
    expected = {"read_iops_sec": 30, "write_bytes_sec": "1000"}
    created = api.post("/attachments", {"attachment": {"volume_uuid": volume["id"], "instance_uuid": SERVER,
                                                        "connector": CONNECTOR}})
    assert created.status_code == 200, created.text
    attachment = created.json()["attachment"]
    assert attachment["connection_info"]["qos_specs"] == expected
    assert api.get(f"/attachments/{attachment['id']}").json()["attachment"]["connection_info"]["qos_specs"] == expected
    assert api.delete(f"/attachments/{attachment['id']}").status_code == 200
    legacy = api.post(f"/volumes/{volume['id']}/action", {"os-initialize_connection": {"connector": CONNECTOR}})
    assert legacy.status_code == 200, legacy.text
    assert legacy.json()["connection_info"]["data"]["qos_specs"] == expected


def test_back_end_keys_reach_the_driver_which_says_what_it_leaves(api: Api, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger="volume.qos")
    volume = _typed_volume(api, "back-end", total_iops_sec="500")
    wait_for(lambda: any(f"create of volume {volume['id']}" in r.getMessage() for r in caplog.records),
             what="the create's QoS warning")
    created = api.post("/attachments", {"attachment": {"volume_uuid": volume["id"], "instance_uuid": SERVER,
                                                        "connector": CONNECTOR}})
    assert created.json()["attachment"]["connection_info"]["qos_specs"] is None  # not the hypervisor's
    messages = [r.getMessage() for r in caplog.records if volume["id"] in r.getMessage()]
    assert any(m.startswith("connect of volume") for m in messages), messages
    assert all(f"total_iops_sec ({NOT_ENFORCED_BY_FILES})" in m for m in messages), messages
    assert "tgtd has none" in NOT_ENFORCED_BY_TGTD
