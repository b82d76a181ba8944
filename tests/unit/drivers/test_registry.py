"""Choosing a driver from the backend section, and the section's option defaults."""

from __future__ import annotations

import pytest
from oslo_config import cfg

from drivers import options as driver_options
from drivers.errors import BackendUnavailable
from drivers.file import FileDriver
from drivers.lvm import LvmDriver
from drivers.nfs import NfsDriver
from drivers.noop import NoopDriver
from drivers.registry import load_driver

BACKEND = "file-1"


def test_default_driver_is_the_file_driver(conf: cfg.ConfigOpts) -> None:
    assert isinstance(load_driver(conf, BACKEND), FileDriver)


def test_noop_by_name(conf: cfg.ConfigOpts) -> None:
    conf.set_override("volume_driver", "noop", group=BACKEND)
    assert isinstance(load_driver(conf, BACKEND), NoopDriver)


@pytest.mark.parametrize("spec", ["drivers.noop:NoopDriver", "drivers.noop.NoopDriver"])
def test_driver_by_class_path(conf: cfg.ConfigOpts, spec: str) -> None:
    conf.set_override("volume_driver", spec, group=BACKEND)
    assert isinstance(load_driver(conf, BACKEND), NoopDriver)


@pytest.mark.parametrize("name, driver_class", [("lvm", LvmDriver), ("nfs", NfsDriver)])
def test_storage_drivers_by_name(conf: cfg.ConfigOpts, name: str, driver_class: type) -> None:
    conf.set_override("volume_driver", name, group=BACKEND)
    assert isinstance(load_driver(conf, BACKEND), driver_class)


@pytest.mark.parametrize("spec", ["zfs", "no_such_module:Driver", "drivers.noop:Missing"])
def test_unknown_driver_is_backend_unavailable(conf: cfg.ConfigOpts, spec: str) -> None:
    conf.set_override("volume_driver", spec, group=BACKEND)
    with pytest.raises(BackendUnavailable, match="volume_driver"):
        load_driver(conf, BACKEND)


def test_backend_defaults(conf: cfg.ConfigOpts) -> None:
    section = conf[BACKEND]
    assert section.volume_backend_name == BACKEND
    assert section.reserved_percentage == 0
    assert section.max_over_subscription_ratio == 20.0
    assert driver_options.availability_zone(conf, BACKEND) == "nova"
    conf.set_override("backend_availability_zone", "zone-b", group=BACKEND)
    assert driver_options.availability_zone(conf, BACKEND) == "zone-b"


def test_each_backend_gets_its_own_name_and_reregistering_is_harmless(conf: cfg.ConfigOpts) -> None:
    driver_options.register_backend(conf, "lvm-2")
    driver_options.register_backend(conf, "lvm-2")
    assert conf["lvm-2"].volume_backend_name == "lvm-2"
    assert conf[BACKEND].volume_backend_name == BACKEND


def test_reserved_percentage_is_bounded(conf: cfg.ConfigOpts) -> None:
    with pytest.raises(ValueError):
        conf.set_override("reserved_percentage", 101, group=BACKEND)


def test_list_opts_for_the_sample_generator() -> None:
    ((group, opts),) = driver_options.list_opts()
    assert group == "backend"
    assert {"volume_driver", "file_share_path", "noop_delay_ms"} <= {opt.name for opt in opts}
