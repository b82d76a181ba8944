"""QoS specs and volume type encryption driven by python-cinderclient, openstacksdk, the openstack CLI and
the ember CLI against a running ember-all (file driver); front-end keys reach a real attachment's
connection_info, scaled by the volume's size."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import openstack.exceptions
import pytest

from bench.stack import EmbeddedStack
from tests.clients.test_cinderclient import cinder, field
from tests.clients.test_openstacksdk import _token_connection

pytestmark = pytest.mark.clients

OPENSTACK = str(Path(sys.executable).parent / "openstack")
EMBER = str(Path(sys.executable).parent / "ember")
CONNECTOR = {"initiator": "iqn.1993-08.org.debian:01:qos", "host": "compute-q", "ip": "192.0.2.40",
             "platform": "x86_64", "os_type": "linux", "multipath": False}


def _name(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:6]}"


def _type(stack: EmbeddedStack, name: str) -> str:
    # cinder type-create prints its table sideways; the type's id is what matters here
    return str(_token_connection(stack.endpoint).block_storage.create_type(name=name).id)


def test_cinderclient_qos_life_cycle(ember: EmbeddedStack) -> None:
    name = _name("cc-qos")
    created = cinder(ember, "qos-create", name, "consumer=front-end", "total_iops_sec=500")
    qos_id = field(created, "id")
    assert field(created, "consumer") == "front-end" and "total_iops_sec" in field(created, "specs")
    assert qos_id in cinder(ember, "qos-list")
    cinder(ember, "qos-key", qos_id, "set", "read_bytes_sec=1000")
    assert "read_bytes_sec" in field(cinder(ember, "qos-show", qos_id), "specs")
    cinder(ember, "qos-key", qos_id, "unset", "read_bytes_sec")
    assert "read_bytes_sec" not in field(cinder(ember, "qos-show", qos_id), "specs")

    types = [_type(ember, _name("cc-qos-type")) for _ in range(2)]
    for type_id in types:
        cinder(ember, "qos-associate", qos_id, type_id)
    associations = cinder(ember, "qos-get-association", qos_id)
    assert all(type_id in associations for type_id in types)
    other = field(cinder(ember, "qos-create", _name("cc-other"), "consumer=back-end"), "id")
    refused = cinder(ember, "qos-associate", other, types[0], check=False)
    assert "already associated" in refused
    refused = cinder(ember, "qos-delete", qos_id, check=False)
    assert "still in use" in refused
    cinder(ember, "qos-disassociate", qos_id, types[0])
    assert types[0] not in cinder(ember, "qos-get-association", qos_id)
    cinder(ember, "qos-disassociate-all", qos_id)
    assert types[1] not in cinder(ember, "qos-get-association", qos_id)
    cinder(ember, "qos-associate", qos_id, types[1])
    cinder(ember, "qos-delete", "--force", "True", qos_id)
    assert qos_id not in cinder(ember, "qos-list")
    cinder(ember, "qos-delete", other)


def _row(table: str, first_cell: str) -> list[str]:
    """The cells of the table row that starts with ``first_cell`` (cinderclient prints encryption types
    as rows, one column per field)."""
    for line in table.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if cells and cells[0] == first_cell:
            return cells
    raise AssertionError(f"no row {first_cell} in:\n{table}")


def test_cinderclient_encryption_type_life_cycle(ember: EmbeddedStack) -> None:
    type_name = _name("cc-secret")
    type_id = _type(ember, type_name)
    created = cinder(ember, "encryption-type-create", "--cipher", "aes-xts-plain64", "--key-size", "256",
                     "--control-location", "front-end", type_id, "luks")
    assert _row(created, type_id) == [type_id, "luks", "aes-xts-plain64", "256", "front-end"]
    assert _row(cinder(ember, "encryption-type-show", type_id), type_id)[1:] == [
        "luks", "aes-xts-plain64", "256", "front-end"]
    assert _row(cinder(ember, "encryption-type-list"), type_id)[1] == "luks"
    cinder(ember, "encryption-type-update", "--key-size", "512", "--control-location", "back-end", type_id)
    assert _row(cinder(ember, "encryption-type-show", type_id), type_id)[3:] == ["512", "back-end"]
    # ember has no key manager: no volume of an encrypted type
    refused = cinder(ember, "create", "--volume-type", type_id, "1", check=False)
    assert "key manager" in refused
    cinder(ember, "encryption-type-delete", type_id)
    assert "luks" not in cinder(ember, "encryption-type-show", type_id, check=False)
    cinder(ember, "type-delete", type_id)


def test_openstacksdk_qos_and_type_encryption(ember: EmbeddedStack) -> None:
    storage: Any = _token_connection(ember.endpoint).block_storage
    qos = storage.create_qos_spec(name=_name("sdk-qos"), consumer="both", write_iops_sec="300")
    assert qos.consumer == "both" and qos.specs == {"write_iops_sec": "300"}
    assert qos.id in {q.id for q in storage.qos_specs()}
    storage.update_qos_spec(qos, read_iops_sec="200")
    assert storage.get_qos_spec(qos.id).specs == {"write_iops_sec": "300", "read_iops_sec": "200"}
    storage.delete_qos_spec_metadata(qos, ["write_iops_sec"])
    assert storage.get_qos_spec(qos.id).specs == {"read_iops_sec": "200"}
    volume_type = storage.create_type(name=_name("sdk-qos-type"))
    storage.associate_qos_spec(qos, volume_type.id)
    assert [a.id for a in storage.qos_spec_associations(qos)] == [volume_type.id]
    storage.disassociate_qos_spec(qos, volume_type.id)
    assert list(storage.qos_spec_associations(qos)) == []
    storage.delete_qos_spec(qos)
    with pytest.raises(openstack.exceptions.NotFoundException):
        storage.get_qos_spec(qos.id)

    encryption = storage.create_type_encryption(volume_type, provider="luks", control_location="front-end",
                                                cipher="aes-xts-plain64", key_size=256)
    assert encryption.encryption_id
    fetched = storage.get_type_encryption(volume_type)
    assert (fetched.provider, fetched.key_size, fetched.cipher) == ("luks", 256, "aes-xts-plain64")
    storage.update_type_encryption(encryption=fetched, key_size=128)
    assert storage.get_type_encryption(volume_type).key_size == 128
    storage.delete_type_encryption(volume_type=volume_type)
    assert not storage.get_type_encryption(volume_type).provider
    storage.delete_type(volume_type)


def _osc(stack: EmbeddedStack, *args: str, json_out: bool = True) -> Any:
    """The openstack CLI without Keystone: auth type none, the block-storage endpoint given (its noauth
    plugin has no version discovery)."""
    argv = [OPENSTACK, "--os-auth-type", "none", "--os-endpoint", stack.endpoint, "--os-volume-api-version", "3",
            *args]
    if json_out:
        argv += ["-f", "json"]
    env = {**os.environ, "OS_BLOCK_STORAGE_ENDPOINT_OVERRIDE": stack.endpoint}
    result = subprocess.run(argv, capture_output=True, text=True, timeout=60, check=False, env=env)
    assert result.returncode == 0, f"openstack {' '.join(args)}: {result.stdout}{result.stderr}"
    return json.loads(result.stdout) if json_out and result.stdout.strip() else result.stdout


def test_openstack_cli_qos_and_encrypted_type(ember: EmbeddedStack) -> None:
    name = _name("osc-qos")
    made = _osc(ember, "volume", "qos", "create", "--consumer", "front-end", "--property", "total_iops_sec=400",
                name)
    assert made["consumer"] == "front-end"
    _osc(ember, "volume", "qos", "set", "--property", "read_iops_sec=100", name, json_out=False)
    _osc(ember, "volume", "qos", "unset", "--property", "total_iops_sec", name, json_out=False)
    type_name = _name("osc-qos-type")
    _osc(ember, "volume", "type", "create", type_name)
    _osc(ember, "volume", "qos", "associate", name, type_name, json_out=False)
    shown = _osc(ember, "volume", "qos", "show", name)
    assert "read_iops_sec" in str(shown["properties"]) and "total_iops_sec" not in str(shown["properties"])
    assert type_name in str(shown["associations"])
    _osc(ember, "volume", "qos", "disassociate", "--volume-type", type_name, name, json_out=False)
    _osc(ember, "volume", "qos", "delete", name, json_out=False)

    secret = _name("osc-secret")
    _osc(ember, "volume", "type", "create", "--encryption-provider", "luks", "--encryption-cipher",
         "aes-xts-plain64", "--encryption-key-size", "256", "--encryption-control-location", "front-end", secret)
    shown = _osc(ember, "volume", "type", "show", "--encryption-type", secret)
    assert "luks" in str(shown["encryption"])
    _osc(ember, "volume", "type", "set", "--encryption-key-size", "512", secret, json_out=False)
    assert "512" in str(_osc(ember, "volume", "type", "show", "--encryption-type", secret)["encryption"])
    _osc(ember, "volume", "type", "unset", "--encryption-type", secret, json_out=False)
    _osc(ember, "volume", "type", "delete", secret, json_out=False)


def _ember(stack: EmbeddedStack, *args: str) -> Any:
    argv = [EMBER, "--os-endpoint", stack.endpoint, "--os-project-id", "demo", "--os-user-id", "demo", *args,
            "--json"]
    result = subprocess.run(argv, capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 0, f"ember {' '.join(args)}: {result.stdout}{result.stderr}"
    return json.loads(result.stdout) if result.stdout.strip() else None


def test_front_end_specs_reach_the_connection_info(ember: EmbeddedStack) -> None:
    """Made with the ember CLI, read through a real attachment (the file driver's) with openstacksdk."""
    qos_name, type_name = _name("fe-qos"), _name("fe-type")
    made = _ember(ember, "qos", "create", qos_name, "--consumer", "front-end", "--property",
                  "total_iops_sec_per_gb=100", "--property", "total_iops_sec_max=250", "--property",
                  "read_bytes_sec=1048576")
    _ember(ember, "type", "create", type_name)
    _ember(ember, "qos", "associate", qos_name, type_name)
    assert type_name in _ember(ember, "qos", "show", qos_name)["associations"]
    storage: Any = _token_connection(ember.endpoint).block_storage
    volume = storage.create_volume(size=2, name="qos-attached", volume_type=type_name)
    volume = storage.wait_for_status(volume, status="available", failures=["error"], wait=60, interval=0.2)
    attachment = storage.create_attachment(volume.id, connector=CONNECTOR,
                                           instance="5e1f0a9b-3c2d-4b5a-8e7f-6a5b4c3d2e1a")
    # 100 per GB of a 2 GB volume, capped at 250; the plain key as it is
    assert attachment.connection_info["qos_specs"] == {"total_iops_sec": 200, "read_bytes_sec": "1048576"}
    storage.delete_attachment(attachment.id)
    _ember(ember, "qos", "set", qos_name, "--property", "total_iops_sec_max=150")
    again = storage.create_attachment(volume.id, connector=CONNECTOR,
                                      instance="5e1f0a9b-3c2d-4b5a-8e7f-6a5b4c3d2e1b")
    assert again.connection_info["qos_specs"]["total_iops_sec"] == 150
    storage.delete_attachment(again.id)
    # back-end only: nothing for the hypervisor (Cinder's null)
    _ember(ember, "qos", "set", qos_name, "--property", "consumer=back-end")
    third = storage.create_attachment(volume.id, connector=CONNECTOR,
                                      instance="5e1f0a9b-3c2d-4b5a-8e7f-6a5b4c3d2e1c")
    assert third.connection_info["qos_specs"] is None
    storage.delete_attachment(third.id)
    storage.delete_volume(volume)
    storage.wait_for_delete(volume, wait=60, interval=0.2)
    _ember(ember, "qos", "delete", qos_name, "--force")
    assert made["consumer"] == "front-end"
