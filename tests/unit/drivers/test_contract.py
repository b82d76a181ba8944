"""The driver contract (tests/driver_contract.py) on the drivers that need no root and no server.

file and nfs (a share that is a folder of this host, used in place) are checked on their
bytes through the connection_info they return; noop, which stores nothing, on sizes.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests import driver_contract
from tests.driver_contract import Host

DRIVERS = ["file", "nfs", "nfs_qcow2", "noop"]
CASES = [pytest.param(name, check, id=f"{name}-{check.__name__[len('check_'):]}")
         for name in DRIVERS for check in driver_contract.ALL_CHECKS]


@pytest.mark.parametrize("name, check", CASES)
def test_contract(request: pytest.FixtureRequest, make_nfs_driver: Callable[..., object], name: str,
                  check: Callable[[Host], None]) -> None:
    if name == "nfs_qcow2":
        host = Host(make_nfs_driver(nfs_qcow2_volumes=True))  # type: ignore[arg-type]
    else:
        host = Host(request.getfixturevalue(f"{name}_driver"), stores_data=name != "noop")
    check(host)
