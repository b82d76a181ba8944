"""Back-end QoS: the keys of the specs a volume's type is associated with whose consumer is ``back-end`` or
``both``, handed to the driver when the volume is made and at each connect (Cinder passes them to its
drivers the same way). What the driver does not enforce is logged here, never dropped silently."""

from __future__ import annotations

import logging
from typing import Any

from db import api as db
from drivers.base import VolumeDriver

log = logging.getLogger(__name__)

BACK_END_CONSUMERS = frozenset({"back-end", "both"})


def back_end_specs(volume_type_id: str | None) -> dict[str, str]:
    qos = db.qos_of_type(volume_type_id)
    return dict(qos.specs) if qos is not None and qos.consumer in BACK_END_CONSUMERS else {}


def apply(driver: VolumeDriver, volume: Any, when: str) -> dict[str, str]:
    """Hand the volume's back-end keys to the driver; the keys it left unenforced, with why (all of them
    for a driver without ``apply_qos``)."""
    specs = back_end_specs(volume.volume_type_id)
    if not specs:
        return {}
    applier = getattr(driver, "apply_qos", None)
    missed = ({key: "the driver has no apply_qos" for key in sorted(specs)} if applier is None
              else dict(applier(volume.id, specs)))
    if missed:
        log.warning("%s of volume %s: the backend does not enforce these back-end QoS keys of its type's QoS "
                    "specs: %s", when, volume.id, "; ".join(f"{key} ({why})" for key, why in missed.items()))
    return missed
