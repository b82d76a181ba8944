"""``ember-backup``: only present for now (its heartbeat: launch.presence); backups arrive with their issue."""

from __future__ import annotations

from oslo_config import cfg

from common import binaries
from common.service import ServiceRunner

BINARY = binaries.BACKUP


def build_runner(conf: cfg.ConfigOpts) -> ServiceRunner:
    return ServiceRunner(name=BINARY)
