"""The Tempest harness itself: its cached venv, a workspace whose tempest.conf points at the tier's
Keystone, the volume tests it lists, and the counts of a real run (identity tests, as ember is not in it)."""

from __future__ import annotations

from pathlib import Path

import pytest
from localcluster import tempest
from localcluster.keystone import Keystone

pytestmark = pytest.mark.keystone


def test_tempest_venv_answers_its_version() -> None:
    assert tempest.version() == f"tempest {tempest.TEMPEST_VERSION}"


@pytest.fixture(scope="module")
def workspace(keystone: Keystone, tmp_path_factory: pytest.TempPathFactory) -> tempest.TempestWorkspace:
    admin = keystone.credentials("admin")
    space = tempest.TempestWorkspace(tmp_path_factory.mktemp("tempest") / "ws")
    space.init()
    space.write_conf(tempest.TempestSettings(
        auth_url=keystone.url, admin_username=admin.username, admin_password=admin.password,
        admin_project_name=admin.project_name, region=keystone.region, backend_names=("file-1",),
        storage_protocol="NFS", vendor_name="ember",
        volume_features={"backup": False, "snapshot": True, "clone": True, "manage_volume": False}))
    return space


def test_conf_says_what_was_asked(workspace: tempest.TempestWorkspace, keystone: Keystone) -> None:
    text = workspace.conf.read_text()
    for line in (f"uri_v3 = {keystone.url}", "catalog_type = block-storage", "cinder = True", "nova = False",
                 "backend_names = file-1", "backup = False", "snapshot = True", "run_validation = False",
                 "use_dynamic_credentials = True", "max_microversion = 3.71"):
        assert line in text.splitlines()


def test_lists_the_volume_api_tests(workspace: tempest.TempestWorkspace) -> None:
    listed = workspace.list_tests("^tempest.api.volume")
    assert len(listed) > 150
    assert all(test.startswith("tempest.api.volume.") for test in listed)


def test_run_counts_a_real_run_against_keystone(workspace: tempest.TempestWorkspace) -> None:
    # dynamic credentials: Tempest creates a project and users with the admin of tempest.conf
    result = workspace.run(r"^tempest\.api\.identity\.v3\.test_tokens\.TokensV3Test", concurrency=2)
    assert result.ran > 0 and result.failed == 0, (result, Path(result.log).read_text()[-3000:])
    assert result.passed + result.skipped == result.ran
    assert result.returncode == 0


def test_run_reports_the_failing_tests_by_id(keystone: Keystone, tmp_path: Path) -> None:
    # Tempest's admin cannot log in, so the class cannot make its credentials: a genuine failure
    admin = keystone.credentials("admin")
    space = tempest.TempestWorkspace(tmp_path / "ws")
    space.init()
    space.write_conf(tempest.TempestSettings(
        auth_url=keystone.url, admin_username=admin.username, admin_password="not-the-password",
        admin_project_name=admin.project_name, region=keystone.region))
    result = space.run(r"^tempest\.api\.identity\.v3\.test_tokens\.TokensV3Test", concurrency=1)
    assert result.failed >= 1 and result.returncode != 0
    assert result.passed == 0
    assert all("TokensV3Test" in test for test in result.failing), result.failing
