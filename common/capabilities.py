"""Capabilities a backend's pools report that the api, not only the scheduler, reads, and how a volume
type's extra specs are matched against them (the scheduler's CapabilitiesFilter, the api's retype)."""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping
from typing import Any

# Whether a snapshot of an attached volume (one a host may be writing) is a single point in time on
# the pool (a copy-on-write or reflink snapshot); where it is not, the api refuses such a snapshot.
ATTACHED_SNAPSHOTS = "attached_snapshots"

_NUMERIC_OPS: dict[str, Callable[[float, float], bool]] = {
    ">=": operator.ge, "<=": operator.le, "==": operator.eq, "!=": operator.ne, ">": operator.gt, "<": operator.lt,
}


def _matches(actual: Any, wanted: str) -> bool:
    """Cinder's extra-spec matching: plain equality, or an operator such as ``<is> True``, ``>= 10``."""
    words = wanted.split(None, 1)
    op = words[0] if words else ""
    arg = words[1] if len(words) > 1 else ""
    if op == "<is>":
        return str(actual).lower() == arg.strip().lower()
    if op == "<in>":
        return arg.strip() in str(actual)
    if op == "<or>":
        return str(actual) in [part.strip() for part in arg.split("<or>")]
    if op in ("s==", "s!="):
        return (str(actual) == arg.strip()) == (op == "s==")
    if op in _NUMERIC_OPS:
        try:
            return _NUMERIC_OPS[op](float(actual), float(arg))
        except (TypeError, ValueError):
            return False
    return str(actual).lower() == wanted.strip().lower()


def satisfies(capabilities: Mapping[str, Any], backend_name: str, extra_specs: Mapping[str, str]) -> bool:
    """Whether a pool reporting ``capabilities`` (of backend ``backend_name``) meets a type's extra specs."""
    known = {**capabilities, "volume_backend_name": backend_name}
    for key, wanted in extra_specs.items():
        scope, _, name = key.rpartition(":")
        if scope not in ("", "capabilities"):
            continue  # scoped keys (qos:, hw:…) are for other consumers
        if name not in known or not _matches(known[name], wanted):
            return False
    return True
