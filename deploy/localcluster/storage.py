"""The storage servers behind the lvm and nfs backends: tgtd, rpcbind + nfs-ganesha, and a VG on a loop file.

Used by the local cluster and by the integration tests, so both run the servers the same
way. tgtd and ganesha run in the foreground under the launcher's pid records; rpcbind is
one per machine (ganesha registers NFSv3 with it, and qemu's nfs:// client asks it for the
ports), so an rpcbind that already answers is used as it is.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

from localcluster.component import Component
from localcluster.procs import spawn, wait_until

_GANESHA_PLUGINS = "/usr/lib/x86_64-linux-gnu/ganesha"


def _quiet(argv: list[str], timeout_s: float = 10.0) -> bool:
    try:
        return subprocess.run(argv, capture_output=True, timeout=timeout_s, check=False).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


def tgt_targets(control: int) -> str:
    """What ``tgtadm --op show`` prints for the tgtd on control port ``control`` (empty: no target)."""
    return subprocess.run(["tgtadm", "-C", str(control), "--lld", "iscsi", "--mode", "target", "--op", "show"],
                          capture_output=True, text=True, check=True).stdout


def _lvm_config(device: str) -> str:
    return (f'devices {{ filter=["a|^{device}$|","r|.*|"] global_filter=["a|^{device}$|","r|.*|"] '
            f'use_devicesfile=0 }} global {{ activation=0 }}')


def logical_volumes(vg: str, device: str) -> set[str]:
    """The names of the LVs of ``vg``, whose physical volume is ``device``."""
    out = subprocess.run(["lvs", "--config", _lvm_config(device), "--noheadings", "-o", "lv_name", vg],
                         capture_output=True, text=True, check=True,
                         env={**os.environ, "LVM_SUPPRESS_FD_WARNINGS": "1"}).stdout
    return {line.strip() for line in out.splitlines() if line.strip()}


class TgtDaemon(Component):
    """A tgtd of its own: control port ``-C control`` and an iSCSI portal on 127.0.0.1:``port``."""

    group = "storage"
    start_timeout_s = 15.0

    def __init__(self, state: Path, name: str, *, port: int, control: int) -> None:
        super().__init__(state, name, port)
        self.control = control

    def launch(self) -> None:
        spawn(["tgtd", "-f", "-C", str(self.control), "--iscsi", f"portal=127.0.0.1:{self.port}"],
              pidfile=self.pidfile, log=self.log)

    def probe(self) -> tuple[bool, str]:
        # tgtadm right after the start fails ("Transport endpoint is not connected") until tgtd listens
        ok = _quiet(["tgtadm", "-C", str(self.control), "--mode", "target", "--op", "show"])
        return ok, "answers tgtadm" if ok else "tgtadm gets no answer"

    def stop(self) -> None:
        # tgtd ignores SIGTERM; this is its own way down
        _quiet(["tgtadm", "-C", str(self.control), "--mode", "system", "--op", "delete"])
        record = self.record()
        if record is not None:
            wait_until(lambda: not record.alive(), timeout_s=10, interval_s=0.1)
        super().stop()
        for leftover in Path("/var/run/tgtd").glob(f"socket.{self.control}*"):
            leftover.unlink(missing_ok=True)

    def kill(self) -> None:
        super().kill()
        for leftover in Path("/var/run/tgtd").glob(f"socket.{self.control}*"):
            leftover.unlink(missing_ok=True)


def rpcbind_answers() -> bool:
    return _quiet(["rpcinfo", "-p", "127.0.0.1"], timeout_s=3.0)


class RpcBind(Component):
    group = "storage"
    start_timeout_s = 10.0

    def __init__(self, state: Path) -> None:
        super().__init__(state, "rpcbind", None)

    def start(self) -> None:
        if rpcbind_answers():
            return  # the machine's own, or one an earlier run left: ganesha registers with it all the same
        super().start()

    def launch(self) -> None:
        Path("/run/rpcbind.sock").unlink(missing_ok=True)
        spawn(["rpcbind", "-f", "-w"], pidfile=self.pidfile, log=self.log)

    def probe(self) -> tuple[bool, str]:
        ok = rpcbind_answers()
        return ok, "answers" if ok else "no answer on 127.0.0.1:111"

    def alive(self) -> bool:
        return super().alive() or rpcbind_answers()  # the machine's own rpcbind serves as well

    def healthy(self) -> bool:
        return rpcbind_answers()


class Ganesha(Component):
    """nfs-ganesha (FSAL VFS, NFSv3 + v4, TCP, loopback) exporting each folder under its own path.

    Each export's NFS path (Pseudo) is the folder's absolute path, so a share
    ``127.0.0.1:<folder>`` is the same folder whether reached over NFS or on this host.
    """

    group = "storage"
    start_timeout_s = 20.0
    stop_grace_s = 10.0

    def __init__(self, state: Path, name: str, *, exports: list[Path], port: int = 2049,
                 mount_port: int = 20048) -> None:
        super().__init__(state, name, port)
        self.exports = [e.resolve() for e in exports]
        self.mount_port = mount_port

    def ports(self) -> list[int]:
        return [self.port or 2049, self.mount_port]

    @property
    def config(self) -> Path:
        return self.dir / "ganesha.conf"

    def prepare(self) -> None:
        super().prepare()
        (self.dir / "recovery").mkdir(exist_ok=True)
        blocks = [f"""NFS_CORE_PARAM {{
    Bind_addr = 127.0.0.1;
    NFS_Port = {self.port};
    MNT_Port = {self.mount_port};
    Protocols = 3, 4;          # qemu's nfs:// client speaks v3 only
    Enable_NLM = false;
    Enable_RQUOTA = false;
    Enable_UDP = false;
    mount_path_pseudo = true;
    Plugins_Dir = "{_GANESHA_PLUGINS}";
}}
NFSV4 {{ Graceless = true; RecoveryBackend = fs; RecoveryRoot = "{self.dir / 'recovery'}"; }}
EXPORT_DEFAULTS {{
    Access_Type = RW;
    Squash = None;
    SecType = sys;
    Transports = TCP;
    Protocols = 3, 4;
    Attr_Expiration_Time = 0;  # the volume service changes files on the folder itself
}}
LOG {{ Default_Log_Level = EVENT; }}
"""]
        for export_id, folder in enumerate(self.exports, start=1):
            folder.mkdir(parents=True, exist_ok=True)
            blocks.append(f'EXPORT {{ Export_Id = {export_id}; Path = "{folder}"; Pseudo = "{folder}"; '
                          f'FSAL {{ Name = VFS; }} }}\n')
        self.config.write_text("".join(blocks))

    def launch(self) -> None:
        spawn(["ganesha.nfsd", "-F", "-f", str(self.config), "-L", str(self.dir / "ganesha.log"),
               "-p", str(self.dir / "ganesha.pid"), "-N", "NIV_EVENT"], pidfile=self.pidfile, log=self.log)

    def logs(self) -> list[Path]:
        return [self.dir / "ganesha.log", self.log]

    def probe(self) -> tuple[bool, str]:
        # real NULL calls: registrations outlive a killed ganesha
        ok = (_quiet(["rpcinfo", "-T", "tcp", "127.0.0.1", "mountd", "3"], 3.0)
              and _quiet(["rpcinfo", "-T", "tcp", "127.0.0.1", "nfs", "3"], 3.0))
        return ok, "NFSv3 answers" if ok else "NFSv3 does not answer"


class LoopVolumeGroup:
    """A volume group on a sparse file through a loop device, for lvm_activation = loop."""

    def __init__(self, image: Path, vg: str, size_gb: int) -> None:
        self.image = image
        self.vg = vg
        self.size_gb = size_gb


    def device(self) -> str | None:
        out = subprocess.run(["losetup", "--json", "--list"], capture_output=True, text=True, check=True).stdout
        for row in json.loads(out)["loopdevices"] if out.strip() else []:
            if row.get("back-file") == str(self.image) and not int(row.get("offset") or 0):
                return str(row["name"])
        return None

    def create(self) -> str:
        """The loop device of the group's physical volume; creates file, PV and VG when missing."""
        self.image.parent.mkdir(parents=True, exist_ok=True)
        if not self.image.exists():
            with open(self.image, "wb") as image:
                image.truncate(self.size_gb * 1024 ** 3)
        device = self.device() or subprocess.run(["losetup", "--find", "--show", "--direct-io=on", str(self.image)],
                                                 capture_output=True, text=True, check=True).stdout.strip()
        env = {**os.environ, "LVM_SUPPRESS_FD_WARNINGS": "1"}
        config = _lvm_config(device)
        pv = subprocess.run(["pvs", "--config", config, "--noheadings", "-o", "vg_name", device], env=env,
                            capture_output=True, text=True, check=False)
        if pv.returncode != 0:  # no LVM label yet: a new file (never -ff: that would wipe a group)
            subprocess.run(["pvcreate", "-y", "--config", config, device], env=env, capture_output=True, check=True)
        if pv.stdout.strip() != self.vg:
            subprocess.run(["vgcreate", "--config", config, self.vg, device], env=env, capture_output=True,
                           check=True)
        return device

    def _detach_volume_loops(self, device: str) -> None:
        out = subprocess.run(["losetup", "--json", "--list"], capture_output=True, text=True, check=True).stdout
        for row in json.loads(out)["loopdevices"] if out.strip() else []:
            if row.get("back-file") == device:  # the LVs' loops over this PV
                subprocess.run(["losetup", "--detach", row["name"]], check=False)

    def release(self) -> None:
        """Detach every loop device of the group; the file keeps the VG for the next ``create``."""
        device = self.device()
        if device is not None:
            self._detach_volume_loops(device)
            subprocess.run(["losetup", "--detach", device], check=False)

    def destroy(self) -> None:
        device = self.device()
        if device is None:
            self.image.unlink(missing_ok=True)
            return
        self._detach_volume_loops(device)
        env = {**os.environ, "LVM_SUPPRESS_FD_WARNINGS": "1"}
        config = _lvm_config(device)
        subprocess.run(["vgremove", "-ff", "--config", config, self.vg], env=env, capture_output=True, check=False)
        subprocess.run(["pvremove", "-ff", "-y", "--config", config, device], env=env, capture_output=True,
                       check=False)
        subprocess.run(["losetup", "--detach", device], check=False)
        self.image.unlink(missing_ok=True)
