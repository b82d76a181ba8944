"""The driver contract (tests/driver_contract.py) on the drivers that need no root and no server.

file and nfs (a share that is a folder of this host, used in place) are checked on their
bytes through the connection_info they return; noop, which stores nothing, on sizes.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests import driver_contract
from tests.driver_contract import Host


@pytest.fixture(params=["file", "nfs", "nfs_qcow2", "noop"])
def host(request: pytest.FixtureRequest, make_nfs_driver: Callable[..., object]) -> Host:
    if request.param == "nfs_qcow2":
        return Host(make_nfs_driver(nfs_qcow2_volumes=True))  # type: ignore[arg-type]
    driver = request.getfixturevalue(f"{request.param}_driver")
    return Host(driver, stores_data=request.param != "noop")


@pytest.mark.parametrize("check", driver_contract.ALL_CHECKS, ids=lambda check: check.__name__[len("check_"):])
def test_contract(host: Host, check: Callable[[Host], None]) -> None:
    if check is driver_contract.check_snapshots_in_a_chain and host.driver.__class__.__name__ == "FileDriver":
        pytest.skip("the file driver's snapshots are whole copies, not a chain")
    check(host)
