"""QoS on the api side: who consumes a spec, and the front-end keys a volume's connection_info carries.

As Cinder 29's volume manager does it: only specs of consumer ``front-end`` or ``both`` reach the
hypervisor, and a ``<option>_per_gb`` key becomes ``<option>`` scaled by the volume's size, raised to
``<option>_per_gb_min`` and capped by ``<option>_max`` (those two keys are then dropped)."""

from __future__ import annotations

from collections.abc import Mapping

from api.request import ApiCall
from db import api as db
from db.records import QosSpecs, Volume

FRONT_END = "front-end"
BACK_END = "back-end"
BOTH = "both"
CONSUMERS = (FRONT_END, BACK_END, BOTH)
DEFAULT_CONSUMER = BACK_END  # Cinder's default when create names none
TUNED = ("read_iops_sec", "read_bytes_sec", "write_iops_sec", "write_bytes_sec", "total_iops_sec",
         "total_bytes_sec")


def front_end_specs(qos: QosSpecs | None, size_gb: int) -> dict[str, object] | None:
    """The keys for the hypervisor of a volume of ``size_gb`` whose type has ``qos``; None (Cinder's
    null) if the type has no specs or they are for the backend only."""
    if qos is None or qos.consumer not in (FRONT_END, BOTH):
        return None
    return scaled(qos.specs, size_gb)


def scaled(specs: Mapping[str, str], size_gb: int) -> dict[str, object]:
    """Cinder's per-GB keys resolved for a volume of ``size_gb``. A key whose value is no integer is left
    as it is (Cinder would fail the attach)."""
    result: dict[str, object] = dict(specs)
    for option in TUNED:
        per_gb = result.get(f"{option}_per_gb")
        if per_gb is None:
            continue
        try:
            minimum = int(str(result.get(f"{option}_per_gb_min", 0)))
            value = max(minimum, int(str(per_gb)) * size_gb)
            value = min(value, int(str(result.get(f"{option}_max", value))))
        except ValueError:
            continue
        for key in (f"{option}_per_gb", f"{option}_per_gb_min", f"{option}_max"):
            result.pop(key, None)
        result[option] = value  # an integer, as Cinder's
    return result


def connection_qos(call: ApiCall, volume: Volume | None) -> dict[str, object] | None:
    """The front-end specs of the volume's type for its connection_info; a lookup only when the (cached)
    type says it has specs."""
    if volume is None or not call.type_names.qos_specs_id(volume.volume_type_id):
        return None
    return front_end_specs(db.qos_of_type(volume.volume_type_id), volume.size_gb)
