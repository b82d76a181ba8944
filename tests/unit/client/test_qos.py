"""ember qos ...: the requests each command sends."""

from __future__ import annotations

from tests.unit.client.conftest import body_of, ok
from tests.unit.client.test_volumes import BASE

GOLD = {"id": "q-gold", "name": "gold", "consumer": "front-end", "specs": {"total_iops_sec": "500"}}
FAST = {"id": "t-fast", "name": "fast", "is_public": True}


def test_create_sends_consumer_and_keys(endpoint, ember):
    endpoint.on("POST", f"{BASE}/qos-specs", ok({"qos_specs": GOLD, "links": []}))
    status, out, _ = ember("qos", "create", "gold", "--consumer", "front-end", "--property", "total_iops_sec=500")
    assert status == 0
    assert body_of(endpoint.requests[0]) == {"qos_specs": {"name": "gold", "consumer": "front-end",
                                                           "total_iops_sec": "500"}}
    assert "front-end" in out


def test_set_unset_associate_disassociate_delete_by_name(endpoint, ember):
    endpoint.on("GET", f"{BASE}/qos-specs", ok({"qos_specs": [GOLD]}))
    endpoint.on("GET", f"{BASE}/types", ok({"volume_types": [FAST]}))
    endpoint.on("PUT", f"{BASE}/qos-specs/q-gold", ok({"qos_specs": {"read_iops_sec": "9"}}))
    endpoint.on("PUT", f"{BASE}/qos-specs/q-gold/delete_keys", ok(status=202))
    for tail in ("associate", "disassociate", "disassociate_all"):
        endpoint.on("GET", f"{BASE}/qos-specs/q-gold/{tail}", ok(status=202))
    endpoint.on("DELETE", f"{BASE}/qos-specs/q-gold", ok(status=202))

    assert ember("qos", "set", "gold", "--property", "read_iops_sec=9")[0] == 0
    assert ember("qos", "unset", "gold", "--property", "read_iops_sec")[0] == 0
    assert ember("qos", "associate", "gold", "fast")[0] == 0
    assert ember("qos", "disassociate", "gold", "fast")[0] == 0
    assert ember("qos", "disassociate", "gold", "--all")[0] == 0
    assert ember("qos", "disassociate", "gold")[0] != 0  # a type or --all
    assert ember("qos", "delete", "gold", "--force")[0] == 0

    assert body_of(endpoint.sent("PUT", f"{BASE}/qos-specs/q-gold")[0]) == {"qos_specs": {"read_iops_sec": "9"}}
    assert body_of(endpoint.sent("PUT", f"{BASE}/qos-specs/q-gold/delete_keys")[0]) == {"keys": ["read_iops_sec"]}
    [associate] = endpoint.sent("GET", f"{BASE}/qos-specs/q-gold/associate")
    assert associate.url.params["vol_type_id"] == "t-fast"
    assert endpoint.sent("GET", f"{BASE}/qos-specs/q-gold/disassociate")[0].url.params["vol_type_id"] == "t-fast"
    assert len(endpoint.sent("GET", f"{BASE}/qos-specs/q-gold/disassociate_all")) == 1
    assert endpoint.sent("DELETE", f"{BASE}/qos-specs/q-gold")[0].url.params["force"] == "True"
