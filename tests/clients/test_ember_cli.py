"""The ember CLI against a real ember-all."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from bench.stack import EmbeddedStack

pytestmark = pytest.mark.clients

EMBER = str(Path(sys.executable).parent / "ember")


def ember_cli(stack: EmbeddedStack, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    result = subprocess.run([EMBER, "--os-endpoint", stack.endpoint, *args], capture_output=True, text=True,
                            timeout=120, check=False)
    if check:
        assert result.returncode == 0, result.stdout + result.stderr
    return result


def test_ember_cli_life_cycle(ember: EmbeddedStack) -> None:
    created = json.loads(ember_cli(ember, "--json", "volume", "create", "--size", "1", "--name", "clidb",
                                   "--wait").stdout)
    assert created["status"] == "available"
    assert "clidb" in ember_cli(ember, "volume", "list").stdout
    ember_cli(ember, "volume", "extend", "clidb", "--size", "2", "--wait")
    assert json.loads(ember_cli(ember, "--json", "volume", "show", "clidb").stdout)["size"] == 2
    snap = json.loads(ember_cli(ember, "--json", "snapshot", "create", "clidb", "--name", "clisnap",
                                "--wait").stdout)
    assert snap["status"] == "available"
    ember_cli(ember, "snapshot", "delete", "clisnap", "--wait")
    ember_cli(ember, "volume", "delete", "clidb", "--wait")
    missing = ember_cli(ember, "volume", "show", "clidb", check=False)
    assert missing.returncode == 1 and "volume list" in missing.stderr


def test_ember_cli_says_what_went_wrong(ember: EmbeddedStack) -> None:
    bad = ember_cli(ember, "volume", "create", "--size", "0", check=False)
    assert bad.returncode == 2 and "at least 1" in bad.stderr
    ember_cli(ember, "volume", "create", "--size", "2", "--name", "small", "--wait")
    shrink = ember_cli(ember, "volume", "extend", "small", "--size", "1", check=False)
    assert shrink.returncode == 1 and "HTTP 400" in shrink.stderr and "greater than current size" in shrink.stderr
    ember_cli(ember, "volume", "delete", "small", "--wait")


def test_ember_cli_attaches_a_volume_to_a_host_and_masks_the_secret(ember: EmbeddedStack) -> None:
    ember_cli(ember, "volume", "create", "--size", "1", "--name", "cliattach", "--wait")
    attached = json.loads(ember_cli(ember, "--json", "volume", "attach", "cliattach", "--host", "compute-e",
                                    "--initiator", "iqn.1993-08.org.debian:01:cli", "--mountpoint", "/dev/vdc").stdout)
    assert attached["status"] == "attached"
    assert attached["connection_info"]["driver_volume_type"] == "local"
    assert json.loads(ember_cli(ember, "--json", "volume", "show", "cliattach").stdout)["status"] == "in-use"
    listed = ember_cli(ember, "attachment", "list", "--volume", "cliattach").stdout
    assert attached["id"] in listed and "attached" in listed
    shown = ember_cli(ember, "attachment", "show", attached["id"]).stdout
    assert "local" in shown
    refused = ember_cli(ember, "volume", "delete", "cliattach", check=False)
    assert refused.returncode == 1 and "attachment" in refused.stderr
    ember_cli(ember, "volume", "detach", "cliattach")
    assert json.loads(ember_cli(ember, "--json", "volume", "show", "cliattach").stdout)["status"] == "available"
    again = ember_cli(ember, "volume", "detach", "cliattach", check=False)
    assert again.returncode == 1 and "no attachment" in again.stderr
    ember_cli(ember, "volume", "delete", "cliattach", "--wait")


def test_ember_cli_hands_a_volume_to_another_project(ember: EmbeddedStack) -> None:
    ember_cli(ember, "volume", "create", "--size", "1", "--name", "cligift", "--wait")
    offer = json.loads(ember_cli(ember, "--json", "transfer", "create", "cligift", "--name", "gift").stdout)
    assert offer["auth_key"] and offer["volume_id"]
    assert json.loads(ember_cli(ember, "--json", "volume", "show", "cligift").stdout)["status"] == "awaiting-transfer"
    assert "gift" in ember_cli(ember, "transfer", "list").stdout
    wrong = ember_cli(ember, "--os-project-id", "receiver", "transfer", "accept", offer["id"], "0" * 16, check=False)
    assert wrong.returncode == 1 and "HTTP 400" in wrong.stderr
    ember_cli(ember, "--os-project-id", "receiver", "transfer", "accept", offer["id"], offer["auth_key"])
    taken = json.loads(ember_cli(ember, "--os-project-id", "receiver", "--json", "volume", "show",
                                 offer["volume_id"]).stdout)
    assert taken["status"] == "available" and taken["os-vol-tenant-attr:tenant_id"] == "receiver"
    assert "gift" not in ember_cli(ember, "transfer", "list").stdout
    ember_cli(ember, "--os-project-id", "receiver", "volume", "delete", offer["volume_id"], "--wait")


def test_ember_cli_reverts_to_the_newest_snapshot_and_marks_read_only(ember: EmbeddedStack) -> None:
    ember_cli(ember, "volume", "create", "--size", "1", "--name", "clirevert", "--wait")
    ember_cli(ember, "snapshot", "create", "clirevert", "--name", "clirevert-old", "--wait")
    ember_cli(ember, "snapshot", "create", "clirevert", "--name", "clirevert-new", "--wait")
    older = ember_cli(ember, "volume", "revert", "clirevert", "--snapshot", "clirevert-old", check=False)
    assert older.returncode == 1 and "HTTP 400" in older.stderr and "latest" in older.stderr
    reverted = json.loads(ember_cli(ember, "--json", "volume", "revert", "clirevert", "--snapshot", "clirevert-new",
                                    "--wait").stdout)
    assert reverted["status"] == "available"
    ember_cli(ember, "volume", "read-only", "clirevert", "on")
    shown = json.loads(ember_cli(ember, "--json", "volume", "show", "clirevert").stdout)
    assert shown["metadata"].get("readonly") == "True"
    ember_cli(ember, "volume", "read-only", "clirevert", "off")
    assert json.loads(ember_cli(ember, "--json", "volume", "show", "clirevert").stdout)["metadata"].get(
        "readonly") == "False"
    for snap in ("clirevert-new", "clirevert-old"):
        ember_cli(ember, "snapshot", "delete", snap, "--wait")
    ember_cli(ember, "volume", "delete", "clirevert", "--wait")
