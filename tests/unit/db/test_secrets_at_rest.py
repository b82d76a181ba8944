"""Secrets at rest: provider_auth is encrypted in the database, read back plaintext, and rotatable."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path

import pytest
import sqlalchemy as sa
from cryptography.fernet import Fernet
from oslo_config import cfg

from db import api as db
from db import errors, keyring, session
from db.api import keys as db_keys
from volume.states.volumes import Status, edge

HOST = "host@lvm-1"
AUTH = "CHAP 0123456789abcdef0123 Sx9-kT2_pQ7vW4zR"
SECRET = AUTH.split()[2]
KEY_A, KEY_B, KEY_C = (Fernet.generate_key().decode() for _ in range(3))
MANAGE = str(Path(sys.executable).parent / "ember-manage")


@pytest.fixture
def use_keys(conf: cfg.ConfigOpts, overrides: Callable[..., None], sqlite_db: str) -> Callable[..., None]:
    """``use_keys(k1, k2, ...)``: the process's keys from now on, as [keys] secret_keys would give them."""
    def configure(*keys: str) -> None:
        overrides("secret_keys", list(keys), group="keys")
        session.configure(conf, url=sqlite_db)

    return configure


def _exported_volume(auth: str | None = AUTH) -> str:
    if not db.pool_list():
        db.pool_report(HOST, [{"name": f"{HOST}#pool", "volume_backend_name": "lvm-1", "availability_zone": "nova",
                               "total_capacity_gb": 1000, "free_capacity_gb": 1000, "reserved_percentage": 0,
                               "max_over_subscription_ratio": 1, "thin_provisioning_support": False,
                               "capabilities": {}}])
    volume = db.volume_create(project_id="p", user_id="u", size_gb=1, status=str(Status.CREATING),
                              availability_zone="nova")
    assert db.volume_schedule(volume.id, pool_name=f"{HOST}#pool", size_gb=1, creating_status=str(Status.CREATING))
    assert db.volume_transition(volume.id, edge("create.done")) is not None
    epoch = db.backend_epochs([HOST]).get(HOST) or db.backend_epoch_advance(HOST, node="a")
    db.volume_export_update(volume.id, provider_location="192.0.2.10:3260,1 iqn.x 1", provider_auth=auth,
                            backend_host=HOST, epoch=epoch)
    return volume.id


def _raw(volume_id: str) -> str | None:
    with session.reader() as conn:
        value = conn.exec_driver_sql("SELECT provider_auth FROM volumes WHERE id = ?", (volume_id,)).scalar()
    return None if value is None else str(value)


def _write_raw(volume_id: str, value: str) -> None:
    with session.writer() as conn:
        conn.exec_driver_sql("UPDATE volumes SET provider_auth = ? WHERE id = ?", (value, volume_id))


def test_the_column_holds_no_plaintext_and_records_read_back_plaintext(sqlite_db: str) -> None:
    volume_id = _exported_volume()
    raw = _raw(volume_id)
    assert raw is not None and raw.startswith(keyring.PREFIX) and SECRET not in raw and "CHAP" not in raw
    assert len(raw) <= 255
    assert db.volume_get(volume_id).provider_auth == AUTH
    assert db.volume_list(project_id="p")[0].provider_auth == AUTH
    assert db.volumes_by_id([volume_id])[volume_id].provider_auth == AUTH
    assert [v.provider_auth for v in db.volume_exports(HOST)] == [AUTH]
    with open(sqlite_db.removeprefix("sqlite:///"), "rb") as file:  # nor anywhere in the file (or its WAL)
        assert SECRET.encode() not in file.read()
    wal = Path(sqlite_db.removeprefix("sqlite:///") + "-wal")
    assert not wal.exists() or SECRET.encode() not in wal.read_bytes()


def test_each_write_encrypts_afresh(sqlite_db: str) -> None:
    first, second = _exported_volume(), _exported_volume()
    assert _raw(first) != _raw(second)  # same plaintext, different tokens


def test_a_cleared_export_is_null(sqlite_db: str) -> None:
    volume_id = _exported_volume()
    db.volume_export_update(volume_id, provider_location=None, provider_auth=None, backend_host=HOST,
                            epoch=db.backend_get(HOST).epoch)
    assert _raw(volume_id) is None and db.volume_get(volume_id).provider_auth is None


def test_rotation_with_two_keys(use_keys: Callable[..., None]) -> None:
    use_keys(KEY_A)
    old = _exported_volume()
    use_keys(KEY_B, KEY_A)  # the new key first, the old one still decrypts
    assert db.volume_get(old).provider_auth == AUTH
    new = _exported_volume()
    assert Fernet(KEY_B.encode()).decrypt(str(_raw(new)).removeprefix(keyring.PREFIX).encode()).decode() == AUTH
    rotation = db.secret_rotate()
    assert (rotation.rotated, rotation.current, rotation.changed, rotation.unreadable) == (1, 1, 0, [])
    use_keys(KEY_B)  # the old key removed: everything still reads
    assert db.volume_get(old).provider_auth == db.volume_get(new).provider_auth == AUTH
    again = db.secret_rotate()
    assert (again.rotated, again.current) == (0, 2)


def test_an_old_plaintext_row_is_read_and_then_encrypted_by_rotation(sqlite_db: str) -> None:
    volume_id = _exported_volume()
    _write_raw(volume_id, AUTH)  # as ember before encryption wrote it
    assert db.volume_get(volume_id).provider_auth == AUTH
    assert db.secret_rotate().rotated == 1
    raw = _raw(volume_id)
    assert raw is not None and raw.startswith(keyring.PREFIX) and SECRET not in raw
    assert db.volume_get(volume_id).provider_auth == AUTH


def test_a_soft_deleted_volumes_secret_is_rotated_too(sqlite_db: str) -> None:
    volume_id = _exported_volume()
    _write_raw(volume_id, AUTH)
    with session.writer() as conn:
        conn.exec_driver_sql("UPDATE volumes SET deleted = 1 WHERE id = ?", (volume_id,))
    assert db.secret_rotate().rotated == 1 and SECRET not in str(_raw(volume_id))


def test_a_wrong_key_gives_the_clear_error(use_keys: Callable[..., None]) -> None:
    use_keys(KEY_A)
    volume_id = _exported_volume()
    use_keys(KEY_C)
    with pytest.raises(errors.SecretKeyError) as raised:
        db.volume_get(volume_id)
    message = str(raised.value)
    assert "[keys] secret_keys" in message and "\n" not in message and "cannot be decrypted" in message
    rotation = db.secret_rotate()  # rotation cannot either, and says which row
    assert rotation.unreadable == [f"volumes.provider_auth {volume_id}"] and rotation.rotated == 0


def test_rotation_leaves_a_row_a_service_rewrote_meanwhile(use_keys: Callable[..., None]) -> None:
    use_keys(KEY_A)
    volume_id = _exported_volume()
    stale = str(_raw(volume_id))
    use_keys(KEY_B, KEY_A)
    db.volume_export_update(volume_id, provider_location=None, provider_auth=None, backend_host=HOST,
                            epoch=db.backend_get(HOST).epoch)  # the export went after the rotation read it
    rotation = db_keys.Rotation()
    (table, column), = db_keys.secret_columns()
    raw = sa.table(table.name, sa.column("id", sa.String), sa.column(column.name, sa.String))
    db_keys._rotate_one(raw, "id", column.name, volume_id, stale, rotation)
    assert (rotation.rotated, rotation.changed) == (0, 1) and _raw(volume_id) is None


def test_rotation_while_exports_change_loses_nothing(use_keys: Callable[..., None]) -> None:
    use_keys(KEY_A)
    volumes = [_exported_volume() for _ in range(30)]
    use_keys(KEY_B, KEY_A)
    stop = threading.Event()

    def churn() -> None:  # a volume service re-making exports with the new first key
        epoch = db.backend_get(HOST).epoch
        while not stop.is_set():
            for volume_id in volumes[::3]:
                db.volume_export_update(volume_id, provider_location="p", provider_auth=AUTH, backend_host=HOST,
                                        epoch=epoch)

    worker = threading.Thread(target=churn)
    worker.start()
    try:
        rotation = db.secret_rotate()
    finally:
        stop.set()
        worker.join()
    assert rotation.rotated + rotation.current + rotation.changed == 30 and not rotation.unreadable
    use_keys(KEY_B)
    assert all(db.volume_get(v).provider_auth == AUTH for v in volumes)


def test_the_embedded_default_generates_one_key_file_of_mode_0600(conf: cfg.ConfigOpts,
                                                                  overrides: Callable[..., None],
                                                                  tmp_path: Path) -> None:
    overrides("secret_keys", [], group="keys")
    overrides("state_path", str(tmp_path))
    first = keyring.from_conf(conf)
    path = tmp_path / keyring.GENERATED_FILE
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert keyring.from_conf(conf).decrypt(first.encrypt(AUTH)) == AUTH  # the same key the next time
    assert str(path) in first.source


def test_a_key_file_is_read_first_line_first(conf: cfg.ConfigOpts, overrides: Callable[..., None],
                                             tmp_path: Path) -> None:
    key_file = tmp_path / "keys"
    key_file.write_text(f"# the new key first\n{KEY_B}\n\n{KEY_A}\n")
    overrides("secret_keys", [], group="keys")
    overrides("secret_key_file", str(key_file), group="keys")
    ring = keyring.from_conf(conf)
    assert ring.is_current(keyring.PREFIX + Fernet(KEY_B.encode()).encrypt(b"x").decode())
    assert ring.decrypt(keyring.PREFIX + Fernet(KEY_A.encode()).encrypt(b"x").decode()) == "x"
    assert not (tmp_path / keyring.GENERATED_FILE).exists()


@pytest.mark.parametrize("keys", [["not-a-key"], [KEY_A, "short"]])
def test_a_key_that_is_no_fernet_key_fails_at_start(conf: cfg.ConfigOpts, overrides: Callable[..., None],
                                                    sqlite_db: str, keys: list[str]) -> None:
    overrides("secret_keys", keys, group="keys")
    with pytest.raises(errors.SecretKeyError, match=r"\[keys\] secret_keys holds something that is not a Fernet key"):
        session.configure(conf, url=sqlite_db)


def test_ember_manage_keys_rotate_and_generate(use_keys: Callable[..., None], sqlite_db: str, tmp_path: Path) -> None:
    use_keys(KEY_A)
    volume_id = _exported_volume()
    conf_file = tmp_path / "manage.conf"
    conf_file.write_text(f"[DEFAULT]\nstate_path = {tmp_path}\n[database]\nconnection = {sqlite_db}\n"
                         f"[keys]\nsecret_keys = {KEY_B},{KEY_A}\n")

    def manage(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([MANAGE, *args], capture_output=True, text=True, timeout=60, check=False)

    first = manage("--config-file", str(conf_file), "keys", "rotate")
    assert first.returncode == 0 and first.stdout.startswith("1 secret(s) re-encrypted"), first
    second = manage("--config-file", str(conf_file), "keys", "rotate")
    assert second.returncode == 0 and second.stdout.startswith("0 secret(s) re-encrypted with the first key, 1 already"), second
    use_keys(KEY_B)
    assert db.volume_get(volume_id).provider_auth == AUTH
    generated = manage("keys", "generate").stdout.strip()
    assert Fernet(generated.encode()).decrypt(Fernet(generated.encode()).encrypt(b"ok")) == b"ok"
    conf_file.write_text(conf_file.read_text().replace(f"{KEY_B},{KEY_A}", KEY_C))
    wrong = manage("--config-file", str(conf_file), "keys", "rotate")
    assert wrong.returncode == 1 and "cannot decrypt volumes.provider_auth" in wrong.stdout, wrong
    conf_file.write_text(conf_file.read_text().replace(KEY_C, "not-a-key"))
    bad = manage("--config-file", str(conf_file), "keys", "rotate")
    expected = ("ember-manage: [keys] secret_keys holds something that is not a Fernet key (32 url-safe "
                "base64-encoded bytes; `ember-manage keys generate` prints one)")
    assert bad.returncode == 1 and bad.stderr.strip().splitlines() == [expected], bad
