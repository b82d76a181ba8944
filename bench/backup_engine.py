"""Backup engine throughput and memory: backup and restore MB/s per compression and store, beside the disk.

Volumes (1 GiB by default): ``random`` (every byte random), ``sparse10`` (10 % of its 64 KiB blocks
written with random data at random places, the rest never touched) and an incremental of ``random``
after 10 % of its chunks were rewritten (``incr10``). For each compression (zstd, zlib, none) and store
(POSIX folder on the same disk, a one-node Swift on loopback), each operation runs in a child process
so its peak RSS is its own. The same run measures the disk's sequential direct-I/O read and write
(dd) and ``qemu-img convert`` of the random volume. MB = 10^6 bytes.

    flock /tmp/ember-heavy.lock .venv/bin/python -m bench.backup_engine [--size-gib 1] [--stores posix,swift]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

MB = 1_000_000
GiB = 1024 ** 3
CHUNK = 4 * 1024 * 1024
BLOCK = 64 * 1024
SWIFT_PORT, SWIFT_OBJECT_PORT, SWIFT_MEMCACHED_PORT = 18290, 16410, 21421
CINDER_ZLIB_MB_S = 23.0


@dataclass(frozen=True)
class Row:
    what: str
    store: str
    compression: str
    seconds: float
    volume_bytes: int
    stored_bytes: int
    peak_rss_mib: float

    @property
    def mb_s(self) -> float:
        return self.volume_bytes / MB / self.seconds if self.seconds else 0.0


# -- the child: one operation, timed, in a process of its own


def _store(kind: str, root: str) -> object:
    from backup.stores.posix import PosixStore
    from backup.stores.swift import SwiftStore
    if kind == "posix":
        return PosixStore(root)
    return SwiftStore(auth_url=f"http://127.0.0.1:{SWIFT_PORT}/auth/v1.0", user="test:tester", key="testing",
                      container="bench-backups")


def child(argv: list[str]) -> None:
    from backup.engine.create import BackupSettings, create_backup
    from backup.engine.restore import load_metadata, restore_backup
    from backup.volumes.files import FileVolumeReader, FileVolumeWriter
    op, kind, root, backup_id, volume, compression, parent, workers = argv
    store = _store(kind, root)
    began = time.perf_counter()
    if op == "backup":
        reader = FileVolumeReader(volume)
        meta = create_backup(reader, store, backup_id=backup_id,  # type: ignore[arg-type]
                             parent=load_metadata(store, parent) if parent else None,  # type: ignore[arg-type]
                             settings=BackupSettings(chunk_size=CHUNK, block_size=BLOCK, compression=compression,
                                                     workers=int(workers)))
        reader.close()
        stored = meta.stored_bytes
    else:
        writer = FileVolumeWriter(volume, zeroed=True)
        meta = restore_backup(store, backup_id, writer,  # type: ignore[arg-type]
                              workers=int(workers) or (os.cpu_count() or 2))
        writer.close()
        stored = meta.stored_bytes
    print(json.dumps({"seconds": time.perf_counter() - began, "size": meta.volume_size, "stored": stored}))


# -- the parent


def _run_child(args: list[str]) -> tuple[dict[str, float], float]:
    proc = subprocess.Popen([sys.executable, "-m", "bench.backup_engine", "--child", *args],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    _pid, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    out = proc.stdout.read().decode() if proc.stdout else ""
    err = proc.stderr.read().decode() if proc.stderr else ""
    if proc.returncode != 0:
        raise RuntimeError(f"{args}: exit {proc.returncode}: {err[-2000:]}")
    return json.loads(out.strip().splitlines()[-1]), usage.ru_maxrss / 1024


def _dd(argv: list[str]) -> float:
    """MB/s that dd reports."""
    err = subprocess.run(["dd", *argv], capture_output=True,
                         text=True, check=True).stderr
    match = re.findall(r"(\d+) bytes .* copied, ([\d.]+) s", err)
    nbytes, secs = match[-1]
    return int(nbytes) / MB / float(secs)


def _fill_random(path: Path, size: int) -> None:
    with open(path, "wb") as f:
        f.writelines(random.randbytes(CHUNK) for _ in range(size // CHUNK))
        f.flush()
        os.fsync(f.fileno())


def _fill_sparse(path: Path, size: int, fraction: float) -> None:
    with open(path, "wb") as f:
        f.truncate(size)
        blocks = random.sample(range(size // BLOCK), int(size // BLOCK * fraction))
        for block in sorted(blocks):
            f.seek(block * BLOCK)
            f.write(random.randbytes(BLOCK))
        f.flush()
        os.fsync(f.fileno())


def _change_chunks(path: Path, size: int, fraction: float) -> None:
    with open(path, "r+b") as f:
        for chunk in random.sample(range(size // CHUNK), int(size // CHUNK * fraction)):
            f.seek(chunk * CHUNK)
            f.write(random.randbytes(CHUNK))
        f.flush()
        os.fsync(f.fileno())


def _drop_volume_cache(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
    finally:
        os.close(fd)


def _empty_target(path: Path, size: int) -> None:
    path.unlink(missing_ok=True)
    with open(path, "wb") as f:
        f.truncate(size)


def machine_limits(work: Path, volume: Path, size: int) -> dict[str, float]:
    scratch = work / "dd.out"
    write = _dd(["if=/dev/zero", f"of={scratch}", "bs=4M", f"count={size // CHUNK}", "oflag=direct", "conv=fsync"])
    scratch.unlink()
    read = _dd([f"if={volume}", "of=/dev/null", "bs=4M", "iflag=direct"])
    out = work / "convert.out"
    began = time.perf_counter()
    subprocess.run(["qemu-img", "convert", "-t", "none", "-T", "none", "-f", "raw", "-O", "raw", str(volume),
                    str(out)], check=True)
    convert = size / MB / (time.perf_counter() - began)
    out.unlink()
    return {"disk_read_mb_s": read, "disk_write_mb_s": write, "qemu_img_convert_mb_s": convert}


def run_matrix(work: Path, size: int, stores: list[str], compressions: list[str], workers: int) -> list[Row]:
    rows: list[Row] = []
    random_vol, sparse_vol, target = work / "random.img", work / "sparse10.img", work / "target.img"
    _fill_sparse(sparse_vol, size, 0.10)
    for kind in stores:
        root = str(work / "store")
        for compression in compressions:
            _fill_random(random_vol, size)
            plan = [("backup", "random", random_vol, ""), ("restore", "random", target, ""),
                    ("backup", "sparse10", sparse_vol, ""), ("restore", "sparse10", target, ""),
                    ("change", "", random_vol, ""),
                    ("backup", "incr10", random_vol, "random"), ("restore", "incr10", target, "")]
            for op, name, volume, parent in plan:
                if op == "change":
                    _change_chunks(random_vol, size, 0.10)
                    continue
                if op == "restore":
                    _empty_target(target, size)
                else:
                    _drop_volume_cache(volume)
                backup_id = f"{name}-{compression}"
                result, rss = _run_child([op, kind, root, backup_id, str(volume), compression,
                                          f"{parent}-{compression}" if parent else "", str(workers)])
                rows.append(Row(f"{op} {name}", kind, compression, result["seconds"], int(result["size"]),
                                int(result["stored"]), rss))
                print(f"  {rows[-1].what:18} {kind:6} {compression:5} {rows[-1].mb_s:8.1f} MB/s "
                      f"stored {rows[-1].stored_bytes / MB:8.1f} MB  peak RSS {rss:6.1f} MiB", flush=True)
        shutil.rmtree(work / "store", ignore_errors=True)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size-gib", type=float, default=1.0)
    parser.add_argument("--stores", default="posix,swift")
    parser.add_argument("--compressions", default="zstd,zlib,none")
    parser.add_argument("--dir", default="/var/tmp")
    parser.add_argument("--json", help="write the rows here too")
    parser.add_argument("--workers", type=int, default=0, help="engine threads per operation (0: one per CPU)")
    args = parser.parse_args()
    size = int(args.size_gib * GiB) // CHUNK * CHUNK
    stores = args.stores.split(",")
    with tempfile.TemporaryDirectory(prefix="ember-bench-backup-", dir=args.dir) as tmp:
        work = Path(tmp)
        swift = None
        if "swift" in stores:
            sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "deploy"))
            from localcluster.swift import SwiftStore
            swift = SwiftStore(work / "swift-state", proxy_port=SWIFT_PORT, object_port=SWIFT_OBJECT_PORT,
                               memcached_port=SWIFT_MEMCACHED_PORT)
            swift.start()
        try:
            _fill_random(work / "random.img", size)
            limits = machine_limits(work, work / "random.img", size)
            print(f"volume {size / GiB:.2f} GiB, chunk {CHUNK // 1024} KiB, block {BLOCK // 1024} KiB, "
                  f"{os.cpu_count()} CPUs, workers {args.workers or os.cpu_count()}, "
                  f"load average {os.getloadavg()[0]:.1f}")
            print("  disk sequential read (dd, O_DIRECT)  {disk_read_mb_s:8.1f} MB/s\n"
                  "  disk sequential write (dd, O_DIRECT) {disk_write_mb_s:8.1f} MB/s\n"
                  "  qemu-img convert (raw->raw, same disk) {qemu_img_convert_mb_s:6.1f} MB/s\n"
                  f"  Cinder's published zlib backup rate   {CINDER_ZLIB_MB_S:8.1f} MB/s".format(**limits),
                  flush=True)
            rows = run_matrix(work, size, stores, args.compressions.split(","), args.workers)
        finally:
            if swift is not None:
                swift.stop()
    if args.json:
        Path(args.json).write_text(json.dumps({"limits": limits, "rows": [
            {**row.__dict__, "mb_s": row.mb_s} for row in rows]}, indent=1))


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        child(sys.argv[2:])
    else:
        main()
