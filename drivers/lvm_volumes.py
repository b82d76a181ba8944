"""lvm2 on one volume group: its logical volumes (size, extents, tags), the commands the lvm driver runs,
and the names ember gives its LVs (the driver's and its manage code's).

Every command scans only the group's own devices (``lvm_devices``), and with activation off
(``lvm_activation = loop``) tells lvm2 never to reach for device-mapper.
"""

from __future__ import annotations

from dataclasses import dataclass

from drivers.fileops import check_id
from drivers.runner import Runner

_FIELDS = "lv_name,lv_size,seg_pe_ranges,lv_tags"
TMP, OLD = "tmp-", "old-"
SNAPSHOT_PREFIX = "_snapshot-"  # LVM reserves names that start with "snapshot"


@dataclass(frozen=True)
class LogicalVolume:
    name: str
    size: int  # bytes
    segments: tuple[str, ...]  # "<pv>:<first>-<last>" extents, one per segment
    tags: tuple[str, ...] = ()


class Lvm:
    def __init__(self, runner: Runner, vg: str, devices: list[str], *, activation: bool) -> None:
        self._runner = runner
        self.vg = vg
        config = ["use_devicesfile=0"]
        if devices:
            accept = ",".join(f'"a|^{d}$|"' for d in devices)
            config += [f'filter=[{accept},"r|.*|"]', f'global_filter=[{accept},"r|.*|"]']
        self._config = "devices { " + " ".join(config) + " }" + ("" if activation else " global { activation=0 }")

    def __call__(self, command: str, *args: str) -> str:
        env_prefix = ["env", "LVM_SUPPRESS_FD_WARNINGS=1"]
        return self._runner.run([*env_prefix, command, "--config", self._config, *args], root=True,
                                timeout_s=120.0).stdout

    def report(self, command: str, fields: str, *targets: str, segments: bool = False) -> list[list[str]]:
        out = self(command, "--noheadings", "--nosuffix", "--units", "b", "--separator", "|", "-o", fields,
                   *(["--segments"] if segments else []), *targets)
        return [[cell.strip() for cell in line.split("|")] for line in out.splitlines() if line.strip()]

    def volumes(self) -> dict[str, LogicalVolume]:
        found: dict[str, tuple[int, list[str], tuple[str, ...]]] = {}
        for name, size, ranges, tags in self.report("lvs", _FIELDS, self.vg, segments=True):
            entry = found.setdefault(name, (int(size), [], tuple(t for t in tags.split(",") if t)))
            entry[1].extend(r for r in ranges.split() if r)
        return {name: LogicalVolume(name, size, tuple(ranges), tags) for name, (size, ranges, tags) in found.items()}

    def get(self, name: str) -> LogicalVolume | None:
        return self.volumes().get(name)

    def path(self, name: str) -> str:
        return f"{self.vg}/{name}"


def volume_lv_name(volume_id: str) -> str:
    return f"volume-{check_id(volume_id)}"


def snapshot_lv_name(snapshot_id: str) -> str:
    return f"{SNAPSHOT_PREFIX}{check_id(snapshot_id)}"
