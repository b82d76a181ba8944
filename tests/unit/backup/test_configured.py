"""ember.conf's backup_* options become the engine's settings and its store."""

from __future__ import annotations

from pathlib import Path

import pytest
from oslo_config import cfg

from backup import configured
from backup import options as backup_options
from backup.stores.posix import PosixStore


def _conf(tmp_path: Path, *args: str) -> cfg.ConfigOpts:
    conf = cfg.ConfigOpts()
    conf.register_opt(cfg.StrOpt("state_path"))
    backup_options.register(conf)
    conf([f"--config-file={_write(tmp_path, args)}"], project="ember-test")
    return conf


def _write(tmp_path: Path, lines: tuple[str, ...]) -> Path:
    path = tmp_path / "ember.conf"
    path.write_text("[DEFAULT]\n" + "".join(f"{line}\n" for line in (f"state_path = {tmp_path}", *lines)))
    return path


def test_defaults_are_a_posix_store_under_the_state_path_and_zstd(tmp_path: Path) -> None:
    conf = _conf(tmp_path)
    store = configured.backup_store(conf)
    assert isinstance(store, PosixStore) and store.root == tmp_path / "backups"
    settings = configured.engine_settings(conf)
    assert (settings.compression, settings.chunk_size, settings.block_size) == ("zstd", 4 << 20, 64 << 10)


def test_settings_follow_the_options(tmp_path: Path) -> None:
    conf = _conf(tmp_path, "backup_compression_algorithm = zlib", "backup_chunk_size = 1048576",
                 "backup_workers = 3", "backup_chunks_in_flight = 5")
    assert configured.engine_settings(conf).threads() == (3, 5)
    assert configured.engine_settings(conf).compression == "zlib"


def test_an_unknown_compression_is_refused(tmp_path: Path) -> None:
    conf = _conf(tmp_path, "backup_compression_algorithm = bz2")
    with pytest.raises(ValueError):
        _ = conf.backup_compression_algorithm
