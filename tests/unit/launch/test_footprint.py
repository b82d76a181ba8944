"""What each service process loads: a service does not hold the libraries of another's job.

Each check builds a service as its binary does (options, DB, the service's runner: not started) in a
fresh interpreter, on SQLite, and reads ``sys.modules``. A scheduler loads no storage driver; a volume
service that is not (yet) its backend's active loads no oslo.messaging and no lvm or nfs driver; a
backup service storing to a POSIX folder loads neither oslo.messaging nor the Swift and S3 clients;
a noauth api loads no keystonemiddleware; and none of them loads FastAPI or cryptography.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.conftest import TEST_SECRET_KEY

_BUILD = textwrap.dedent("""
    import json, sys
    from db import migrate, session
    from launch import opts

    process, argv = sys.argv[1], sys.argv[2:]
    conf = opts.load(process, argv, default_config_files=[])
    migrate.upgrade(session.configure(conf, url=conf.database.connection))
    if process == "ember-scheduler":
        from scheduler.service import build_runner
        build_runner(conf)
    elif process == "ember-volume":
        from volume.service import build_runner
        build_runner(conf)
    elif process == "ember-backup":
        from backup.service import build_runner
        build_runner(conf)
    else:
        from api.app import create_app
        create_app(conf)
    print(json.dumps(sorted(sys.modules)))
""")

NEVER = {"fastapi", "pydantic", "cryptography", "keystonemiddleware", "boto3", "swiftclient", "drivers.lvm",
         "drivers.nfs"}
NOT_LOADED = {
    "ember-scheduler": NEVER | {"starlette", "uvicorn", "drivers.file", "drivers.noop", "drivers.registry"},
    "ember-volume": NEVER | {"starlette", "uvicorn", "oslo_messaging", "kombu"},
    "ember-backup": NEVER | {"starlette", "uvicorn", "oslo_messaging", "kombu"},
    "ember-api": NEVER,
}


def _modules_of(process: str, tmp_path: Path) -> set[str]:
    share = tmp_path / "share"
    share.mkdir()
    conf = tmp_path / "ember.conf"
    conf.write_text(f"[DEFAULT]\nstate_path = {tmp_path / 'state'}\nenabled_backends = file-1\nhost = node-1\n"
                    f"backup_posix_path = {tmp_path / 'backups'}\n"
                    f"[database]\nconnection = sqlite:///{tmp_path / 'ember.sqlite'}\n"
                    f"[keys]\nsecret_keys = {TEST_SECRET_KEY}\n"
                    f"[file-1]\nvolume_driver = file\nvolume_backend_name = file-1\nfile_share_path = {share}\n")
    run = subprocess.run([sys.executable, "-c", _BUILD, process, "--config-file", str(conf)], capture_output=True,
                         text=True, timeout=120, check=False, cwd=Path(__file__).parents[3])
    assert run.returncode == 0, run.stderr[-3000:]
    return set(json.loads(run.stdout.splitlines()[-1]))


@pytest.mark.parametrize("process", sorted(NOT_LOADED))
def test_a_service_loads_only_what_its_job_needs(process: str, tmp_path: Path) -> None:
    modules = _modules_of(process, tmp_path)
    assert {name for name in NOT_LOADED[process] if name in modules} == set()
