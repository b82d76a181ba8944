"""Periodic housekeeping the api processes run: purging Idempotency-Keys past their time to live.

Every api process runs it (a purge that finds nothing costs one indexed query); a deleted row
is simply gone for the others.
"""

from __future__ import annotations

from oslo_config import cfg

from common.service import PeriodicTask
from db import api as db

PURGE_INTERVAL_S = 600.0
PURGE_BATCHES = 50  # of db.api.idempotency.PURGE_BATCH rows, each its own short transaction


def idempotency_purge_task(conf: cfg.ConfigOpts) -> PeriodicTask:
    ttl_s = conf.database.idempotency_key_ttl_s
    return PeriodicTask("idempotency-purge", PURGE_INTERVAL_S,
                        lambda: db.idempotency_purge(ttl_s, batches=PURGE_BATCHES), run_at_start=False)
