"""Finds the driver class a backend section names in ``volume_driver`` and builds it.

Called by the volume service once per backend; the caller then runs ``driver.setup()``.
"""

from __future__ import annotations

import importlib
from typing import cast

from oslo_config import cfg

from drivers.base import VolumeDriver
from drivers.errors import BackendUnavailable

BUILTIN_DRIVERS = {
    "file": "drivers.file:FileDriver",
    "lvm": "drivers.lvm:LvmDriver",
    "nfs": "drivers.nfs:NfsDriver",
    "noop": "drivers.noop:NoopDriver",
}


def load_driver(conf: cfg.ConfigOpts, backend: str) -> VolumeDriver:
    """Build the driver of section ``backend``; raise :class:`BackendUnavailable` if it cannot be found.

    ``volume_driver`` is a built-in name or a class path, ``package.module:Class`` (a last dot
    instead of the colon works too).
    """
    spec = str(conf[backend].volume_driver).strip()
    path = BUILTIN_DRIVERS.get(spec, spec)
    module_name, sep, class_name = path.partition(":")
    if not sep:
        module_name, _, class_name = path.rpartition(".")
    if not module_name or not class_name:
        raise BackendUnavailable(
            f"[{backend}] volume_driver = {spec!r} is not one of {', '.join(sorted(BUILTIN_DRIVERS))} "
            "nor a class path like 'package.module:Class'")
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise BackendUnavailable(f"[{backend}] volume_driver = {spec!r}: cannot import {module_name}: "
                                 f"{exc}") from exc
    driver_class = getattr(module, class_name, None)
    if not callable(driver_class):
        raise BackendUnavailable(f"[{backend}] volume_driver = {spec!r}: {module_name} has no class "
                                 f"{class_name}")
    return cast(VolumeDriver, driver_class(conf, backend))
