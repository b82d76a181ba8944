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
