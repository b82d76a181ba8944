"""The etcd election loses one etcd member of three: no takeover storm, the same single active."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from tests.ha.conftest import Cluster
from tests.ha.test_volume_ha import EpochHistory, _active, _backend, _ensure_both_running

pytestmark = pytest.mark.ha


@pytest.fixture(scope="module")
def etcd_election(cluster: Cluster) -> Iterator[None]:
    cluster.run("set-coordination", "etcd", timeout_s=300)
    _ensure_both_running(cluster)
    _active(cluster)
    yield
    cluster.run("start", "etcd-1", check=False)


@pytest.mark.parametrize("member", ["etcd-1", "etcd-2"])
def test_losing_one_etcd_member_changes_nothing(cluster: Cluster, etcd_election: None, member: str) -> None:
    node, epoch = _active(cluster)
    with EpochHistory(cluster.env["EMBER_DB_URL"]) as history:
        cluster.run("kill", member)
        time.sleep(8)  # four lease lengths
        after = _backend(cluster)
        cluster.run("start", member)
        time.sleep(2)
    assert after == (epoch, node), f"a takeover storm: {epoch, node} became {after}"
    assert set(history.check()) == {epoch}
