"""What the user sees when the endpoint refuses, fails, or a wait ends badly."""

from __future__ import annotations

import io

import httpx

from client import waiting
from tests.unit.client.conftest import fault, ok
from tests.unit.client.test_volumes import BASE, VOL_ID, make_volume


def test_a_cinder_fault_prints_its_message_code_and_request_id(endpoint, ember):
    endpoint.on("GET", f"{BASE}/volumes/{VOL_ID}", ok({"volume": make_volume()}))
    endpoint.on("POST", f"{BASE}/volumes/{VOL_ID}/action",
                fault(400, "badRequest", "Volume status must be available to extend.", "req-42"))

    status, out, err = ember("volume", "extend", VOL_ID, "--size", "2")

    assert (status, out) == (1, "")
    assert err == "ERROR: Volume status must be available to extend. (HTTP 400, request id req-42)\n"


def test_a_404_fault_on_a_listing_is_printed_and_exits_1(endpoint, ember):
    endpoint.on("GET", f"{BASE}/snapshots/detail",
                fault(404, "itemNotFound", "Project demo could not be found.", "req-7"))

    status, _, err = ember("snapshot", "list")

    assert status == 1
    assert err.splitlines()[0] == "ERROR: Project demo could not be found. (HTTP 404, request id req-7)"


def test_quota_exceeded_adds_a_hint_about_quotas(endpoint, ember):
    endpoint.on("POST", f"{BASE}/volumes", fault(413, "overLimit", "VolumeLimitExceeded: 10 volumes"))

    status, _, err = ember("volume", "create", "--size", "1")

    assert status == 1
    assert "ember quota show" in err.splitlines()[1]


def test_connection_refused_names_the_endpoint_and_what_to_do(endpoint, ember, monkeypatch):
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("[Errno 111] Connection refused", request=request)

    monkeypatch.setattr("client.http.transport_factory", lambda: httpx.MockTransport(refuse))

    status, out, err = ember("--os-endpoint", "http://127.0.0.1:1/v3", "volume", "list")

    assert (status, out) == (1, "")
    assert err.startswith("ERROR: cannot connect to the ember endpoint http://127.0.0.1:1/v3")
    assert "Connection refused" in err
    assert "make run" in err and "--os-endpoint" in err


def test_a_non_json_answer_points_at_the_endpoint_setting(endpoint, ember):
    endpoint.on("GET", f"{BASE}/volumes/detail", httpx.Response(200, text="<html>hello</html>"))

    status, _, err = ember("volume", "list")

    assert status == 1
    assert "not JSON" in err and "--os-endpoint" in err


def test_wait_ending_in_error_prints_the_status_and_the_newest_message(endpoint, ember):
    endpoint.on("POST", f"{BASE}/volumes", ok({"volume": make_volume(status="creating")}, 202))
    endpoint.on("GET", f"{BASE}/volumes/{VOL_ID}",
                ok({"volume": make_volume(status="creating")}),
                ok({"volume": make_volume(status="error")}))
    endpoint.on("GET", f"{BASE}/messages", ok({"messages": [
        {"resource_uuid": VOL_ID, "created_at": "2024-01-01T00:00:01", "user_message": "old news"},
        {"resource_uuid": VOL_ID, "created_at": "2024-01-01T00:00:09",
         "user_message": "create volume:Could not find any available weighted backend."},
        {"resource_uuid": "someone-else", "created_at": "2024-01-02T00:00:00", "user_message": "not ours"},
    ]}))

    status, out, err = ember("volume", "create", "--size", "1", "--wait")

    assert (status, out) == (1, "")
    assert err == (f"ERROR: volume {VOL_ID} went to status 'error': "
                   f"create volume:Could not find any available weighted backend.\n")
    [messages] = endpoint.sent("GET", f"{BASE}/messages")
    assert messages.url.params["resource_uuid"] == VOL_ID


def test_wait_prefers_the_status_reason_field(endpoint, ember):
    endpoint.on("POST", f"{BASE}/volumes", ok({"volume": make_volume(status="creating")}, 202))
    endpoint.on("GET", f"{BASE}/volumes/{VOL_ID}",
                ok({"volume": make_volume(status="error", status_reason="backend lvm-1 is full")}))

    status, _, err = ember("volume", "create", "--size", "1", "--wait")

    assert status == 1
    assert "went to status 'error': backend lvm-1 is full" in err
    assert endpoint.sent("GET", f"{BASE}/messages") == []


def test_wait_gives_up_after_the_timeout(endpoint, ember):
    endpoint.on("POST", f"{BASE}/volumes", ok({"volume": make_volume(status="creating")}, 202))
    endpoint.on("GET", f"{BASE}/volumes/{VOL_ID}", ok({"volume": make_volume(status="creating")}))

    status, _, err = ember("volume", "create", "--size", "1", "--wait", "--timeout", "0")

    assert status == 1
    assert f"gave up after 0 s waiting for volume {VOL_ID}, still 'creating'" in err
    assert "--timeout" in err


def test_delete_wait_fails_when_the_delete_fails(endpoint, ember):
    endpoint.on("GET", f"{BASE}/snapshots/s1",
                ok({"snapshot": {"id": "s1", "status": "available"}}),
                ok({"snapshot": {"id": "s1", "status": "error_deleting"}}))
    endpoint.on("DELETE", f"{BASE}/snapshots/s1", ok(status=202))
    endpoint.on("GET", f"{BASE}/messages", ok({"messages": []}))
    endpoint.on("GET", f"{BASE}/snapshots/detail", ok({"snapshots": [{"id": "s1", "name": "s1"}]}))

    status, _, err = ember("snapshot", "delete", "s1", "--wait")

    assert status == 1
    assert "snapshot s1 went to status 'error_deleting' and no reason was recorded" in err
    assert "ember message list" in err


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_the_spinner_shows_status_and_elapsed_time_only_on_a_terminal():
    terminal, pipe = _Terminal(), io.StringIO()
    for stream in (terminal, pipe):
        spinner = waiting.Spinner("volume v1", stream=stream)
        spinner.show("creating", 3.2)
        spinner.clear()

    assert "volume v1: creating (3s)" in terminal.getvalue()
    assert terminal.getvalue().endswith("\r\033[K")
    assert pipe.getvalue() == ""
