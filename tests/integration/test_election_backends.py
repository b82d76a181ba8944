"""The etcd and Consul elections against real servers; the epochs in a real MariaDB.

etcd runs here (one member, then three for the endpoint rotation). Consul cannot be installed
on these machines: its tests run where a ``consul`` binary is on PATH, against ``consul agent
-dev``, and are skipped with that reason otherwise. Consul is never mocked.
"""

from __future__ import annotations

import dataclasses
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from oslo_config import cfg

from bench.stack import free_port
from volume.election import Elector, Unreachable
from volume.election.etcd import EtcdElector, endpoints_of

pytestmark = pytest.mark.integration

BACKEND = "it@etcd-1"


@dataclasses.dataclass
class EtcdCluster:
    members: list[tuple[subprocess.Popen[bytes], int]]
    folder: Path

    @property
    def url(self) -> str:
        return "etcd3+http://" + ",".join(f"127.0.0.1:{port}" for _, port in self.members)

    def stop(self, index: int) -> None:
        process, _ = self.members[index]
        process.kill()
        process.wait()


def _start_etcd(count: int) -> EtcdCluster:
    folder = Path(tempfile.mkdtemp(prefix="ember-it-etcd-"))
    ports = [(free_port(), free_port()) for _ in range(count)]
    initial = ",".join(f"m{i}=http://127.0.0.1:{peer}" for i, (_, peer) in enumerate(ports))
    members = []
    for i, (client, peer) in enumerate(ports):
        process = subprocess.Popen(
            ["etcd", "--name", f"m{i}", "--data-dir", str(folder / f"m{i}"),
             "--listen-client-urls", f"http://127.0.0.1:{client}", "--advertise-client-urls",
             f"http://127.0.0.1:{client}", "--listen-peer-urls", f"http://127.0.0.1:{peer}",
             "--initial-advertise-peer-urls", f"http://127.0.0.1:{peer}", "--initial-cluster", initial,
             "--heartbeat-interval", "100", "--election-timeout", "500"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        members.append((process, client))
    cluster = EtcdCluster(members, folder)
    elector = EtcdElector(cluster.url, ttl_s=1.5)
    deadline = time.monotonic() + 30
    while True:  # healthy once a lease can be granted
        try:
            elector._call(lambda c: c.lease(ttl=1)).revoke()
            return cluster
        except Exception:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


@pytest.fixture
def etcd3(mariadb: str) -> Iterator[EtcdCluster]:
    cluster = _start_etcd(3)
    yield cluster
    for process, _ in cluster.members:
        process.kill()
        process.wait()
    shutil.rmtree(cluster.folder, ignore_errors=True)


def _won(elector: Elector, node: str, timeout_s: float = 10) -> int:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        lease = elector.campaign(BACKEND, node)
        if lease is not None:
            return lease.epoch
        time.sleep(0.1)
    raise AssertionError(f"{node} never won {BACKEND}")


def test_endpoints_are_every_member_of_the_url() -> None:
    assert endpoints_of("etcd3+http://10.0.0.1:2379,10.0.0.2:2381") == [("10.0.0.1", 2379), ("10.0.0.2", 2381)]


def test_etcd_one_holder_a_takeover_after_expiry_and_a_new_epoch(etcd3: EtcdCluster) -> None:
    a, b = EtcdElector(etcd3.url, ttl_s=1.5), EtcdElector(etcd3.url, ttl_s=1.5)
    lease_a = a.campaign(BACKEND, "node-a")
    assert lease_a is not None
    assert b.campaign(BACKEND, "node-b") is None
    renewed = a.renew(lease_a)
    assert renewed is not None and renewed.valid()
    epoch_b = _won(b, "node-b")           # a stops renewing (it died): its etcd lease expires
    assert epoch_b == lease_a.epoch + 1
    assert a.renew(lease_a) is None       # a, back, finds the key is no longer its own


def test_etcd_survives_the_loss_of_the_member_it_talks_to(etcd3: EtcdCluster) -> None:
    elector = EtcdElector(etcd3.url, ttl_s=1.5)
    lease = elector.campaign(BACKEND, "node-a")
    assert lease is not None
    etcd3.stop(0)  # the first endpoint, the one the client uses
    renewed = None
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        try:
            renewed = elector.renew(lease)
            break
        except Unreachable:  # while the survivors elect a new raft leader
            time.sleep(0.1)
    assert renewed is not None, "the lease was lost with one member of three"
    assert elector._current != 0  # it moved on to another member


def test_etcd_release_lets_a_standby_in_at_once(etcd3: EtcdCluster) -> None:
    a, b = EtcdElector(etcd3.url, ttl_s=1.5), EtcdElector(etcd3.url, ttl_s=1.5)
    lease = a.campaign(BACKEND, "node-a")
    assert lease is not None
    a.release(lease)
    assert b.campaign(BACKEND, "node-b") is not None


@pytest.fixture
def consul_agent(mariadb: str) -> Iterator[str]:
    binary = shutil.which("consul")
    if binary is None:
        pytest.skip("no consul binary on PATH: Consul cannot be installed on this machine, and is never mocked")
    port = free_port()
    folder = tempfile.mkdtemp(prefix="ember-it-consul-")
    agent = subprocess.Popen([binary, "agent", "-dev", f"-http-port={port}", f"-data-dir={folder}"],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    url = f"consul://127.0.0.1:{port}"
    try:
        import consul

        deadline = time.monotonic() + 30
        while True:
            try:
                if consul.Consul(host="127.0.0.1", port=port).status.leader():
                    break
            except Exception:
                if time.monotonic() > deadline:
                    raise
            time.sleep(0.2)
        yield url
    finally:
        agent.kill()
        agent.wait()
        shutil.rmtree(folder, ignore_errors=True)


def test_consul_one_holder_and_a_takeover_when_the_holders_check_fails(consul_agent: str) -> None:
    from volume.election.consul import ConsulElector

    a, b = ConsulElector(consul_agent, ttl_s=2), ConsulElector(consul_agent, ttl_s=2)
    lease = a.campaign(BACKEND, "node-a")
    assert lease is not None
    assert b.campaign(BACKEND, "node-b") is None
    assert a.renew(lease) is not None
    epoch_b = _won(b, "node-b", timeout_s=20)  # a stops passing its check: the session goes, the lock too
    assert epoch_b == lease.epoch + 1
    assert a.renew(lease) is None


def test_consul_registers_every_service_with_a_ttl_check(consul_agent: str, conf: cfg.ConfigOpts) -> None:
    import consul

    from common.discovery import ConsulRegistry, ServiceRecord

    registry = ConsulRegistry(consul_agent, check_ttl_s=10)
    record = ServiceRecord(binary="ember-volume", host=BACKEND, node="node-a", zone="nova", backend="etcd-1")
    registry.passing(record, role="active")
    port = int(consul_agent.rpartition(":")[2])
    services = consul.Consul(host="127.0.0.1", port=port).agent.services()
    assert services[record.service_id]["Meta"]["ha_role"] == "active"
    assert "backend:etcd-1" in services[record.service_id]["Tags"]
    registry.deregister(record)
    assert record.service_id not in consul.Consul(host="127.0.0.1", port=port).agent.services()
