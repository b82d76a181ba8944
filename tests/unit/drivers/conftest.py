"""Fixtures for the driver tests: a private config with one backend section, and drivers on tmp_path."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from oslo_config import cfg

from common import options as common_options
from drivers import options as driver_options
from drivers.file import FileDriver
from drivers.nfs import NfsDriver
from drivers.noop import NoopDriver

BACKEND = "file-1"


@pytest.fixture
def conf(tmp_path: Path) -> cfg.ConfigOpts:
    conf = cfg.ConfigOpts()
    common_options.register(conf)
    driver_options.register_backend(conf, BACKEND)
    conf([], default_config_files=[])
    conf.set_override("state_path", str(tmp_path / "state"))
    conf.set_override("file_share_path", str(tmp_path / "share"), group=BACKEND)
    return conf


@pytest.fixture
def make_file_driver(conf: cfg.ConfigOpts) -> Callable[..., FileDriver]:
    def make(**overrides: object) -> FileDriver:
        for name, value in overrides.items():
            conf.set_override(name, value, group=BACKEND)
        driver = FileDriver(conf, BACKEND)
        driver.setup()
        return driver
    return make


@pytest.fixture
def file_driver(make_file_driver: Callable[..., FileDriver]) -> FileDriver:
    return make_file_driver()


@pytest.fixture
def noop_driver(conf: cfg.ConfigOpts) -> NoopDriver:
    conf.set_override("volume_driver", "noop", group=BACKEND)
    driver = NoopDriver(conf, BACKEND)
    driver.setup()
    return driver


NFS_BACKEND = "nfs-1"


@pytest.fixture
def make_nfs_driver(conf: cfg.ConfigOpts, tmp_path: Path) -> Callable[..., NfsDriver]:
    """An nfs driver on two shares that are folders of this host (so no mount and no server)."""
    driver_options.register_backend(conf, NFS_BACKEND)
    shares = tmp_path / "nfs_shares"
    exports = [tmp_path / "export-a", tmp_path / "export-b"]
    for export in exports:
        export.mkdir()
    shares.write_text("# test shares\n" + "".join(f"127.0.0.1:{e}\n" for e in exports))
    conf.set_override("nfs_shares_config", str(shares), group=NFS_BACKEND)

    def make(**overrides: object) -> NfsDriver:
        for name, value in overrides.items():
            conf.set_override(name, value, group=NFS_BACKEND)
        driver = NfsDriver(conf, NFS_BACKEND)
        driver.setup()
        return driver
    return make


@pytest.fixture
def nfs_driver(make_nfs_driver: Callable[..., NfsDriver]) -> NfsDriver:
    return make_nfs_driver()
