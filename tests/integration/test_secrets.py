"""Secrets on real MariaDB: where a CHAP secret of lvm-1 (tgtd) goes and where it never does, and
idempotency answers that are large or cannot be kept.

An ember split into processes (SplitStack, MariaDB + RabbitMQ) with lvm-1 on a loop-file volume
group exported by its own tgtd: the secret an attachment hands out logs in (libiscsi), a replay
gives it again, and neither a full mysqldump of ember's database nor any process's log holds it.
"""

from __future__ import annotations

import io
import logging
import subprocess
import sys
import time
import traceback
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from localcluster.storage import TgtDaemon

from bench.stack import SplitStack
from common import log
from db import api as db
from db.keyring import PREFIX
from tests import datapath
from tests.integration.storage_fixtures import TGT_CONTROL, TGT_PORT
from volume.states.volumes import Status, edge

pytestmark = pytest.mark.integration

ADMIN = {"X-Auth-Token": "admin:admin", "OpenStack-API-Version": "volume 3.71"}
HOST = {"initiator": "iqn.1993-08.org.debian:01:compute-s", "ip": "127.0.0.1", "host": "compute-s",
        "platform": "x86_64", "os_type": "linux", "multipath": False}
MANAGE = str(Path(sys.executable).parent / "ember-manage")


@pytest.fixture(scope="module")
def lvm_stack(tgtd: TgtDaemon, volume_group: tuple[str, str]) -> Iterator[SplitStack]:
    vg, device = volume_group
    section = (f"volume_driver = lvm\nvolume_group = {vg}\nlvm_devices = {device}\nlvm_activation = loop\n"
               f"target_port = {TGT_PORT}\ntgt_control_port = {TGT_CONTROL}\n")
    # the >64 KB answer test needs more metadata items than the default 64 allow
    running = SplitStack(backend_sections={"lvm-1": section}, quota_volumes=-1,
                         extra_conf="max_metadata_items = 500\n").start()
    yield running
    running.close()


@pytest.fixture(scope="module")
def api(lvm_stack: SplitStack) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=lvm_stack.endpoint, headers=ADMIN, timeout=60) as client:
        yield client


def _available(api: httpx.Client, **fields: Any) -> str:
    created = api.post("/volumes", json={"volume": {"size": 1, **fields}})
    assert created.status_code == 202, created.text
    volume_id = str(created.json()["volume"]["id"])
    deadline = time.monotonic() + 90
    while api.get(f"/volumes/{volume_id}").json()["volume"]["status"] != "available":
        assert time.monotonic() < deadline, "the volume did not become available"
        time.sleep(0.2)
    return volume_id


def _dump(stack: SplitStack) -> str:
    result = subprocess.run(["mysqldump", "-h127.0.0.1", "-uroot", "--skip-extended-insert", stack.name],
                            capture_output=True, text=True, timeout=120, check=True)
    return result.stdout


def _logs(stack: SplitStack) -> str:
    return "".join(path.read_text(errors="replace") for path in Path(stack.workdir).glob("*.log"))


def _query(stack: SplitStack, sql: str) -> list[Any]:
    engine = sa.create_engine(stack.db_url, hide_parameters=True)
    try:
        with engine.begin() as conn:
            result = conn.exec_driver_sql(sql)
            return list(result) if result.returns_rows else []
    finally:
        engine.dispose()


def test_a_chap_secret_is_handed_out_works_and_is_kept_nowhere_in_clear(lvm_stack: SplitStack,
                                                                      api: httpx.Client) -> None:
    volume_id = _available(api)
    key = {"Idempotency-Key": f"attach-{uuid.uuid4()}"}
    body = {"attachment": {"volume_uuid": volume_id, "connector": HOST}}
    first = api.post("/attachments", json=body, headers=key)
    assert first.status_code == 200, first.text
    attachment = first.json()["attachment"]
    data = attachment["connection_info"]  # flat in the attachments API, as Nova reads it
    secret = data["auth_password"]
    assert data["auth_method"] == "CHAP" and len(secret) == 16
    assert datapath.can_open(datapath.target_of(attachment["connection_info"], initiator=str(HOST["initiator"])))
    replayed = api.post("/attachments", json=body, headers=key)
    assert replayed.headers.get("idempotency-replayed") == "true" and replayed.json() == first.json()

    (stored,) = _query(lvm_stack, f"SELECT provider_auth FROM volumes WHERE id = '{volume_id}'")
    assert str(stored[0]).startswith(PREFIX)
    dump = _dump(lvm_stack)
    assert volume_id in dump and data["auth_username"] in dump  # the dump has the rows ...
    assert secret not in dump  # ... and not the secret, in the volumes nor the idempotency table
    assert secret not in _logs(lvm_stack)

    conf = Path(lvm_stack.workdir) / "ember.conf"
    rotate = subprocess.run([MANAGE, "--config-file", str(conf), "keys", "rotate"], capture_output=True,
                            text=True, timeout=60, check=False)
    # every process of the stack generated nothing of its own: they share the state folder's key
    assert rotate.returncode == 0 and "0 secret(s) re-encrypted" in rotate.stdout, rotate
    assert api.delete(f"/attachments/{attachment['id']}").status_code == 200
    assert api.delete(f"/volumes/{volume_id}").status_code == 202


def test_an_answer_over_64_kb_is_kept_on_mariadb(lvm_stack: SplitStack, api: httpx.Client) -> None:
    metadata = {f"key-{i:04d}": "v" * 200 for i in range(450)}
    key = {"Idempotency-Key": f"big-{uuid.uuid4()}"}
    first = api.post("/volumes", json={"volume": {"size": 1, "metadata": metadata}}, headers=key)
    assert first.status_code == 202, first.text
    assert len(first.content) > 65_535
    again = api.post("/volumes", json={"volume": {"size": 1, "metadata": metadata}}, headers=key)
    assert again.status_code == 202 and again.headers.get("idempotency-replayed") == "true"
    assert again.json() == first.json()
    (length,) = _query(lvm_stack, f"SELECT LENGTH(body) FROM idempotency_keys WHERE `key` = '{key['Idempotency-Key']}'")
    assert length[0] > 65_535


def test_an_answer_the_database_fails_to_keep_is_still_given(lvm_stack: SplitStack, api: httpx.Client) -> None:
    _query(lvm_stack, "CREATE TRIGGER refuse_bodies BEFORE UPDATE ON idempotency_keys FOR EACH ROW "
                      "BEGIN IF NEW.body IS NOT NULL THEN SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'no room'; "
                      "END IF; END")
    try:
        key = {"Idempotency-Key": f"lost-{uuid.uuid4()}"}
        first = api.post("/volumes", json={"volume": {"size": 1, "name": "kept-anyway"}}, headers=key)
        assert first.status_code == 202, first.text
        volume_id = first.json()["volume"]["id"]
        again = api.post("/volumes", json={"volume": {"size": 1, "name": "kept-anyway"}}, headers=key)
        assert again.status_code == 202 and again.json()["volume"]["id"] == volume_id
        assert again.headers.get("idempotency-replayed") == "true"
    finally:
        _query(lvm_stack, "DROP TRIGGER refuse_bodies")
    assert [v["id"] for v in api.get("/volumes?name=kept-anyway").json()["volumes"]] == [volume_id]
    assert "could not keep the answer to Idempotency-Key" in _logs(lvm_stack)


def test_a_db_error_in_an_export_update_logs_no_secret(mariadb: str, monkeypatch: pytest.MonkeyPatch) -> None:
    secret = "Qm7-xT4_pW9vK2zR"
    host = "it@lvm-1"
    db.pool_report(host, [{"name": f"{host}#pool", "volume_backend_name": "lvm-1", "availability_zone": "nova",
                           "total_capacity_gb": 10, "free_capacity_gb": 10, "reserved_percentage": 0,
                           "max_over_subscription_ratio": 1, "thin_provisioning_support": False, "capabilities": {}}])
    volume = db.volume_create(project_id="p", user_id="u", size_gb=1, status=str(Status.CREATING),
                              availability_zone="nova")
    assert db.volume_schedule(volume.id, pool_name=f"{host}#pool", size_gb=1, creating_status=str(Status.CREATING))
    assert db.volume_transition(volume.id, edge("create.done")) is not None
    epoch = db.backend_epoch_advance(host, node="a")
    stream = io.StringIO()
    monkeypatch.setattr(sys, "stderr", stream)
    root = logging.getLogger()
    saved = root.handlers[:]
    log.setup("ember-volume", "it")
    try:
        with pytest.raises(sa.exc.DataError) as raised:  # the location is longer than its column: 1406
            db.volume_export_update(volume.id, provider_location="x" * 300,
                                    provider_auth=f"CHAP 0123456789abcdef0123 {secret}",
                                    backend_host=host, epoch=epoch)
        try:
            raise raised.value
        except sa.exc.DataError:
            logging.getLogger("volume.connections").exception("recording the export of %s failed", volume.id)
        unfiltered = "".join(traceback.format_exception(raised.value))
    finally:
        root.handlers[:] = saved
    line = stream.getvalue()
    assert "Data too long" in line and "SQL parameters hidden" in line
    assert secret not in line and PREFIX not in line and "x" * 300 not in line
    # not the filter's doing: the error itself carries no parameter
    assert secret not in unfiltered and PREFIX not in unfiltered and "SQL parameters hidden" in unfiltered


def test_the_kept_answers_are_mediumtext_with_an_expiry_index(mariadb: str) -> None:
    engine = sa.create_engine(mariadb, hide_parameters=True)
    try:
        with engine.connect() as conn:
            body_type = conn.exec_driver_sql(
                "SELECT DATA_TYPE FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() "
                "AND TABLE_NAME = 'idempotency_keys' AND COLUMN_NAME = 'body'").scalar()
            indexes = {row[2] for row in conn.exec_driver_sql("SHOW INDEX FROM idempotency_keys")}
    finally:
        engine.dispose()
    assert body_type == "mediumtext" and "ix_idempotency_keys_created" in indexes
