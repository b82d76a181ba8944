"""Driver operation latencies on real storage: the lvm driver (loop VG + tgtd) and the nfs driver (nfs-ganesha).

Each driver gets a 1 GiB source volume filled with data through its own export (iSCSI with
CHAP, or nfs://), then each trial times, in the driver's own process: create 1 GiB, export
(create_export + initialize_connection), snapshot of the full source, clone of the full
source, volume from that snapshot, extend 1 -> 2 GiB, and deletes. Medians and maxima are
printed per operation.

  python -m bench.drivers [--trials 5] [--drivers lvm,nfs]
"""

from __future__ import annotations

import argparse
import functools
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "deploy"))

from localcluster.storage import Ganesha, LoopVolumeGroup, RpcBind, TgtDaemon

from drivers import options as driver_options
from drivers.base import VolumeDriver
from drivers.lvm import LvmDriver
from drivers.nfs import NfsDriver
from tests import datapath

GiB = 1024 ** 3
TGT_PORT, TGT_CONTROL = 3281, 21
CONNECTOR = {"initiator": "iqn.2026-12.org.ember:bench", "ip": "127.0.0.1", "host": "bench"}
OPERATIONS = ("create 1 GiB", "export", "snapshot (1 GiB full)", "clone 1 GiB (full)", "from snapshot 1 GiB",
              "extend 1->2 GiB", "delete volume", "delete snapshot")


@contextmanager
def lvm_driver(work: Path) -> Iterator[tuple[VolumeDriver, bool]]:
    tgtd = TgtDaemon(work, "tgtd", port=TGT_PORT, control=TGT_CONTROL)
    group = LoopVolumeGroup(work / "pv.img", f"ember-bench-{uuid.uuid4().hex[:6]}", 16)
    tgtd.start()
    device = group.create()
    try:
        conf = driver_options.standalone_conf(str(work), "lvm-b", volume_group=group.vg, lvm_devices=[device],
                                              lvm_activation="loop", target_port=TGT_PORT,
                                              tgt_control_port=TGT_CONTROL)
        driver = LvmDriver(conf, "lvm-b")
        driver.setup()
        yield driver, False
    finally:
        group.destroy()
        tgtd.stop()


@contextmanager
def nfs_driver(work: Path) -> Iterator[tuple[VolumeDriver, bool]]:
    export = work / "export"
    rpcbind, server = RpcBind(work), Ganesha(work, "ganesha", exports=[export])
    rpcbind.start()
    server.start()
    try:
        shares = work / "nfs_shares"
        shares.write_text(f"127.0.0.1:{export.resolve()}\n")
        conf = driver_options.standalone_conf(str(work), "nfs-b", nfs_shares_config=str(shares),
                                              nfs_qemu_backing_urls=True)
        driver = NfsDriver(conf, "nfs-b")
        driver.setup()
        yield driver, True
    finally:
        server.stop()
        rpcbind.stop()


DRIVERS: dict[str, Callable[[Path], Any]] = {"lvm": lvm_driver, "nfs": nfs_driver}


def _timed(samples: dict[str, list[float]], name: str, call: Callable[[], object]) -> None:
    began = time.perf_counter()
    call()
    samples[name].append(time.perf_counter() - began)


def measure(driver: VolumeDriver, nfs_via_url: bool, trials: int) -> dict[str, list[float]]:
    samples: dict[str, list[float]] = {name: [] for name in OPERATIONS}
    driver.create_volume("source", 1)
    export = driver.create_export("source", CONNECTOR)
    target = datapath.target_of(driver.initialize_connection("source", export, CONNECTOR), nfs_via_url=nfs_via_url,
                                initiator=CONNECTOR["initiator"])
    datapath.write(target, 0x5A, 0, GiB)  # every byte, so copies copy data, not holes
    driver.remove_export("source", export)
    for trial in range(trials):
        _trial(driver, samples, trial)
    driver.delete_volume("source")
    return samples


def _trial(driver: VolumeDriver, samples: dict[str, list[float]], trial: int) -> None:
    new, snap, clone, restored = (f"{kind}-{trial}" for kind in ("new", "snap", "clone", "restored"))
    _timed(samples, "create 1 GiB", functools.partial(driver.create_volume, new, 1))

    def export_new() -> None:
        made = driver.create_export(new, CONNECTOR)
        driver.initialize_connection(new, made, CONNECTOR)
    _timed(samples, "export", export_new)
    driver.remove_export(new, driver.create_export(new, CONNECTOR))
    _timed(samples, "snapshot (1 GiB full)", functools.partial(driver.create_snapshot, snap, volume_id="source"))
    _timed(samples, "clone 1 GiB (full)", functools.partial(driver.clone_volume, clone, 1, source_volume_id="source"))
    _timed(samples, "from snapshot 1 GiB", functools.partial(
        driver.create_volume_from_snapshot, restored, 1, snapshot_id=snap, source_volume_id="source"))
    _timed(samples, "extend 1->2 GiB", functools.partial(driver.extend_volume, new, 2))
    for volume in (new, clone, restored):
        _timed(samples, "delete volume", functools.partial(driver.delete_volume, volume))
    _timed(samples, "delete snapshot", functools.partial(driver.delete_snapshot, snap, volume_id="source"))


def run(names: list[str], trials: int) -> dict[str, dict[str, dict[str, float]]]:
    results = {}
    for name in names:
        with tempfile.TemporaryDirectory(prefix=f"ember-bench-{name}-") as work, DRIVERS[name](Path(work)) as (
                driver, via_url):
            samples = measure(driver, via_url, trials)
        results[name] = {op: {"p50_s": statistics.median(v), "max_s": max(v), "n": len(v)}
                         for op, v in samples.items()}
    return results


def table(results: dict[str, dict[str, dict[str, float]]]) -> str:
    names = list(results)
    lines = [f"{'operation':<24}" + "".join(f"{n + ' p50 / max':>22}" for n in names)]
    for op in OPERATIONS:
        cells = "".join(f"{results[n][op]['p50_s'] * 1000:>11.0f} / {results[n][op]['max_s'] * 1000:>5.0f} ms"
                        for n in names)
        lines.append(f"{op:<24}{cells}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--trials", type=int, default=5)
    parser.add_argument("--drivers", default="lvm,nfs")
    args = parser.parse_args(argv)
    print(table(run(args.drivers.split(","), args.trials)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
