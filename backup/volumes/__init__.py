"""Volume readers and writers for the backup engine: a file or block device, or anything qemu opens (qemu-nbd)."""
