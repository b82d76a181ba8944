"""A burst of 200 creates from 10 clients through HAProxy: all land, none in error, pools stay bounded."""

from __future__ import annotations

import threading
import time
import uuid

import httpx
import pytest
import sqlalchemy as sa

from tests.ha.conftest import Cluster

pytestmark = pytest.mark.ha

CLIENTS = 10
PER_CLIENT = 20
FINAL = {"available", "error"}


def _threads_connected(url: str) -> int:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            return int(conn.exec_driver_sql("SHOW STATUS LIKE 'Threads_connected'").one()[1])
    finally:
        engine.dispose()


def test_a_burst_of_200_creates_all_lands(cluster: Cluster, capsys: pytest.CaptureFixture[str]) -> None:
    ids: list[str] = []
    failures: list[str] = []
    lock = threading.Lock()
    peak_connections = 0
    stop_sampling = threading.Event()

    def sample() -> None:
        nonlocal peak_connections
        while not stop_sampling.is_set():
            try:
                total = sum(_threads_connected(url) for url in cluster.galera_urls())
            except sa.exc.OperationalError:
                total = 0
            peak_connections = max(peak_connections, total)
            stop_sampling.wait(1)

    admin = httpx.Client(base_url=cluster.endpoint, headers={"X-Auth-Token": "admin:admin"}, timeout=30)
    for project in ("burst0", "burst1"):
        quota = admin.put(f"/os-quota-sets/{project}", json={"quota_set": {"volumes": 200, "gigabytes": 1000}})
        assert quota.status_code == 200, quota.text

    def client(n: int) -> None:
        http = httpx.Client(base_url=cluster.endpoint, headers={"X-Auth-Token": f"burst:burst{n % 2}"}, timeout=30)
        for _ in range(PER_CLIENT):
            response = http.post("/volumes", json={"volume": {"size": 1, "name": f"burst-{uuid.uuid4().hex[:8]}"}},
                                 headers={"Idempotency-Key": str(uuid.uuid4())})
            with lock:
                if response.status_code == 202:
                    ids.append(response.json()["volume"]["id"])
                else:
                    failures.append(f"{response.status_code} {response.text[:200]}")

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    try:
        started = time.monotonic()
        workers = [threading.Thread(target=client, args=(i,)) for i in range(CLIENTS)]
        for w in workers:
            w.start()
        for w in workers:
            w.join()
        sent_s = time.monotonic() - started
        assert failures == []
        assert sent_s < 20, f"sending the burst took {sent_s:.1f}s"

        deadline = started + 60
        statuses: dict[str, str] = {}
        while time.monotonic() < deadline:
            listing = admin.get("/volumes/detail", params={"all_tenants": 1, "limit": 1000}).json()["volumes"]
            statuses = {v["id"]: v["status"] for v in listing if v["id"] in set(ids)}
            if len(statuses) == len(ids) and set(statuses.values()) <= FINAL:
                break
            time.sleep(0.5)
        landed_s = time.monotonic() - started
    finally:
        stop_sampling.set()
        sampler.join()
    with capsys.disabled():
        print(f"\nburst: {len(ids)} creates sent in {sent_s:.1f}s, all final after {landed_s:.1f}s, "
              f"peak DB connections on the 3 Galera nodes {peak_connections}")
    assert len(ids) == CLIENTS * PER_CLIENT
    assert set(statuses.values()) == {"available"}, {s for s in statuses.values()}
    assert peak_connections < 151  # MariaDB's default max_connections, which Cinder exhausted
    for vid in ids:
        admin.delete(f"/volumes/{vid}")
