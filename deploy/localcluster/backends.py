"""The storage each volume backend of the local cluster needs, and its section of ember.conf.

``lvm-N``: a volume group ``ember-lvm-N`` on a sparse file through a loop device (lvm2 with
activation disabled: this kernel may lack device-mapper), exported by the cluster's tgtd.
``nfs-N``: a share folder exported by the cluster's nfs-ganesha (with rpcbind), reached by
the nfs driver in place and by compute hosts over nfs://. ``file-N``: a local folder.
"""

from __future__ import annotations

from pathlib import Path

from localcluster import layout
from localcluster.component import Component
from localcluster.storage import Ganesha, LoopVolumeGroup, RpcBind, TgtDaemon


class BackendStorage:
    def __init__(self, state: Path, backends: list[str]) -> None:
        self.state = state
        self.backends = backends
        root = state / "storage"
        self.volume_groups = {b: LoopVolumeGroup(root / "lvm" / f"{b}.img", f"ember-{b}", layout.LVM_IMAGE_GB)
                              for b in backends if layout.driver_of(b) == "lvm"}
        self.shares = {b: root / "nfs" / b for b in backends if layout.driver_of(b) == "nfs"}
        self.components: list[Component] = []
        if self.volume_groups:
            self.components.append(TgtDaemon(state, "tgtd", port=layout.TGT_PORT, control=layout.TGT_CONTROL_PORT))
        if self.shares:
            self.components += [RpcBind(state), Ganesha(state, "ganesha", exports=list(self.shares.values()),
                                                        port=layout.NFS_PORT, mount_port=layout.NFS_MOUNT_PORT)]

    def up(self) -> None:
        for group in self.volume_groups.values():
            group.create()
        for component in self.components:
            component.start()

    def down(self, *, wipe: bool) -> None:
        for component in reversed(self.components):
            component.stop()
        for group in self.volume_groups.values():
            group.destroy() if wipe else group.release()

    def section(self, backend: str) -> str:
        """The driver's lines of ``[backend]`` in ember.conf."""
        driver = layout.driver_of(backend)
        if driver == "lvm":
            group = self.volume_groups[backend]
            return (f"volume_group = {group.vg}\nlvm_devices = {group.device() or ''}\nlvm_activation = loop\n"
                    f"target_ip_address = 127.0.0.1\ntarget_port = {layout.TGT_PORT}\n"
                    f"tgt_control_port = {layout.TGT_CONTROL_PORT}\n")
        if driver == "nfs":
            share = self.shares[backend]
            shares_file = self.state / "ember" / f"nfs_shares.{backend}"
            shares_file.parent.mkdir(parents=True, exist_ok=True)
            shares_file.write_text(f"127.0.0.1:{share}\n")
            return f"nfs_shares_config = {shares_file}\nnfs_qemu_backing_urls = true\n"
        share = self.state / "share" / backend
        share.mkdir(parents=True, exist_ok=True)
        return f"file_share_path = {share}\n"
