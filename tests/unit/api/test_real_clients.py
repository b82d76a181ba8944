"""python-cinderclient and openstacksdk, unchanged, against the api served by uvicorn on loopback.

They check what the fakes cannot: version discovery, noauth and microversion negotiation as
the real clients do them. (The lead's client tier drives a whole ember-all; this only needs the api.)
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
import uvicorn
from oslo_config import cfg

from api.app import create_app

PROJECT = "c0ffee00c0ffee00c0ffee00c0ffee00"


@pytest.fixture
def endpoint(api_db: None, api_conf: cfg.ConfigOpts) -> Iterator[str]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(create_app(api_conf), host="127.0.0.1", port=port, log_level="warning",
                                           access_log=False, loop="asyncio", http="h11", lifespan="off"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.01)
    yield f"http://127.0.0.1:{port}/v3"
    server.should_exit = True
    thread.join(timeout=10)


def test_cinderclient_cli_creates_and_shows_a_volume(endpoint: str, capsys: pytest.CaptureFixture[str]) -> None:
    from cinderclient import shell

    base = ["--os-auth-type", "noauth", "--os-endpoint", endpoint, "--os-user-id", "demo",
            "--os-project-id", PROJECT, "--os-volume-api-version", "3.71"]
    shell.OpenStackCinderShell().main([*base, "create", "--name", "cli-vol", "1"])
    shell.OpenStackCinderShell().main([*base, "show", "cli-vol"])
    out = capsys.readouterr().out
    assert "cli-vol" in out and "creating" in out and PROJECT in out


def test_openstacksdk_discovers_the_api_without_a_token(endpoint: str) -> None:
    import openstack

    conn: Any = openstack.connect(auth_type="none", block_storage_endpoint_override=endpoint,
                                  block_storage_api_version="3")
    created = conn.block_storage.create_volume(size=1, name="sdk-vol")
    assert created.status == "creating"
    assert [v.name for v in conn.block_storage.volumes()] == ["sdk-vol"]
    assert conn.block_storage.get_volume(created.id).size == 1
