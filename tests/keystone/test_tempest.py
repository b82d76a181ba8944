"""Tempest 47's volume API tests (``tempest.api.volume``, concurrency 2) against a real ember-all behind the
tier's Keystone: ``auth_strategy = keystone``, two file-driver backends (they store data), and a tempest.conf
that says what ember has — the backends' names, protocol and vendor as their pools report them, backups,
manage, multi-backend; no replication, and nothing that needs Nova or Glance.

Every failure must be in ``ALLOWED_FAILURES`` (each with the reason ember answers differently), and at least
``PASS_FLOOR`` tests must pass. The counts are printed (``-s``) and the run's log stays in the workspace.
"""

from __future__ import annotations

import os
import re
import time
from pathlib import Path

import httpx
import pytest
from localcluster import tempest
from localcluster.keystone import Keystone

from api.routes.backends import EXTENSIONS
from bench.stack import EmbeddedStack
from tests.keystone.conftest import BACKENDS

pytestmark = pytest.mark.keystone

REGEX = r"^tempest\.api\.volume\."
# EMBER_TEMPEST_REGEX narrows a run by hand while a family is built (the counts below then do not apply)
NARROWED = os.environ.get("EMBER_TEMPEST_REGEX")
# Tempest 47.0.0 with Glance off: these classes use an image client that the Manager does not have
# (``'Manager' object has no attribute 'image_client_v2'``); they fail the same way on real Cinder 29
GLANCE_BUG = (
    r"^tempest\.api\.volume\.test_volumes_get\.VolumesGetTest\.",
    r"^tempest\.api\.volume\.test_volumes_negative\.VolumesNegativeTest\.",
    r"^tempest\.api\.volume\.test_volumes_extend\.VolumesExtendTest\.test_volume_extend\[",
)
EXCLUDE_REGEX = "|".join(GLANCE_BUG)

# test id (or "setUpClass (<class>)") prefix -> why ember answers differently; nothing else may fail.
# None is allowed now: every family Tempest's volume API tests use is in.
ALLOWED_FAILURES: dict[str, str] = {
}

# measured: ran 164, passed 153, skipped 11, failed 0 in about 380 s (two backends; backup, manage and
# multi-backend on). The 11 skipped need Nova, Neutron or Glance, multiattach or volume dependency tests.
# Before the API-breadth issue: 153 ran, 122 passed, 15 failed; real Cinder 29 passed 143 with backup,
# manage and multi-backend off.
PASS_FLOOR = 153
RUN_TIMEOUT_S = 40 * 60


@pytest.fixture(scope="module")
def ember(keystone_ember: EmbeddedStack) -> EmbeddedStack:
    """The tier's ember-all, at the address Keystone's catalog names."""
    return keystone_ember


def _pools(ember: EmbeddedStack) -> list[dict[str, str]]:
    """Each pool's capabilities, as an admin sees them in get_pools?detail=True, once both backends report."""
    for _ in range(60):
        answer = httpx.get(f"{ember.endpoint}/scheduler-stats/get_pools?detail=True",
                           headers={"X-Auth-Token": ember.admin_token}, timeout=30)
        assert answer.status_code == 200, answer.text
        pools = answer.json()["pools"]
        if len(pools) == len(BACKENDS):
            return [dict(pool["capabilities"]) for pool in pools]
        time.sleep(1)
    raise AssertionError(f"not every backend reported a pool: {pools}")


def _allowed(test: str) -> str | None:
    return next((why for prefix, why in ALLOWED_FAILURES.items() if test.startswith(prefix)
                 or test == f"setUpClass ({prefix})"), None)


@pytest.mark.timeout(RUN_TIMEOUT_S + 300)  # Tempest's own limit first; pytest-timeout's 300 s is far too short
def test_tempest_volume_api(ember: EmbeddedStack, keystone: Keystone,
                            tmp_path_factory: pytest.TempPathFactory) -> None:
    pools = _pools(ember)
    pool = pools[0]
    admin = keystone.credentials("admin")
    space = tempest.TempestWorkspace(tmp_path_factory.mktemp("tempest") / "ws")
    space.init()
    space.write_conf(tempest.TempestSettings(
        auth_url=keystone.url, admin_username=admin.username, admin_password=admin.password,
        admin_project_name=admin.project_name, region=keystone.region,
        backend_names=tuple(sorted(p["volume_backend_name"] for p in pools)), storage_protocol=pool["storage_protocol"],
        vendor_name=pool["vendor_name"],
        volume_features={"multi_backend": True, "backup": True, "snapshot": True, "clone": True,
                         "manage_snapshot": True, "manage_volume": True, "replication": False,
                         "extend_attached_volume": False, "extend_attached_encrypted_volume": False,
                         "extend_volume_with_snapshot": True, "enable_volume_image_dep_tests": False},
        # the extensions ember lists (GET /extensions); "all" would ask for os-hosts, which it has not
        extra={"volume-feature-enabled": {"api_extensions": ",".join(alias for _, alias, _ in EXTENSIONS)}}))
    regex = NARROWED or REGEX
    if not NARROWED:
        excluded = [test for test in space.list_tests(REGEX) if re.match(EXCLUDE_REGEX, test)]
        assert len(excluded) == 36, excluded  # the three Glance-bug groups, and nothing else

    result = space.run(regex, exclude_regex=EXCLUDE_REGEX, concurrency=2, timeout_s=RUN_TIMEOUT_S)
    print(f"\ntempest {tempest.TEMPEST_VERSION} {regex}: ran {result.ran}, passed {result.passed}, "
          f"skipped {result.skipped}, failed {result.failed} in {result.duration_s:.0f} s (log {result.log})")
    for test in result.failing:
        print(f"  FAILED {test}" + (f" (allowed: {_allowed(test)})" if _allowed(test) else ""))

    unexpected = [test for test in result.failing if _allowed(test) is None]
    assert not unexpected, (unexpected, Path(result.log).read_text(errors="replace")[-6000:])
    assert NARROWED or result.passed >= PASS_FLOOR, result
    assert result.passed + result.skipped + result.failed == result.ran
