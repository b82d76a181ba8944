"""Availability zones: those of the reported pools plus this deployment's own."""

from __future__ import annotations

from api.settings import Settings
from db import api as db


def known(settings: Settings) -> list[str]:
    zones = {pool.availability_zone for pool in db.pool_list()}
    zones.add(settings.storage_availability_zone)
    return sorted(zones)
