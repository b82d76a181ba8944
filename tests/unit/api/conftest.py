"""Fixtures of the api tests: a fresh SQLite DB per test (copied from one built per session) and a client."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from oslo_config import cfg
from starlette.testclient import TestClient

from api import options as api_options
from api.app import create_app
from common import config
from db import api as db
from db import migrate as db_migrate
from db import models
from db import options as db_options
from db import session as db_session
from db.api._common import utcnow
from rpc import options as rpc_options
from tests.conftest import use_test_key
from volume.client import VolumeClient
from volume.states.volumes import Status, edge

POOL = "host@file-1#pool"
TOKEN = "alice:proj-a"
OTHER_TOKEN = "bob:proj-b"


@pytest.fixture(scope="session")
def api_conf() -> cfg.ConfigOpts:
    conf = config.load([], [db_options.register, rpc_options.register, api_options.register],
                       default_config_files=[])
    use_test_key(conf)
    return conf


def _has_migrations() -> bool:
    versions = Path(db_migrate.__file__).parent / "migrations" / "versions"
    return any(p.name != "__init__.py" for p in versions.glob("*.py"))


@pytest.fixture(scope="session")
def template_db(api_conf: cfg.ConfigOpts, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "ember.sqlite"
    engine = db_session.configure(api_conf, url=f"sqlite:///{path}")
    if _has_migrations():
        db_migrate.upgrade(engine)
    else:
        models.Base.metadata.create_all(engine)
    if not db.type_list():
        db.type_create(name=db.DEFAULT_TYPE_NAME, description="Default Volume Type")
    db_session.dispose()
    return path


@pytest.fixture
def api_db(api_conf: cfg.ConfigOpts, template_db: Path, tmp_path: Path) -> Iterator[None]:
    path = tmp_path / "ember.sqlite"
    shutil.copy(template_db, path)
    db_session.configure(api_conf, url=f"sqlite:///{path}")
    db.pool_report("host@file-1", [{"name": POOL, "volume_backend_name": "file-1", "availability_zone": "nova",
                                    "total_capacity_gb": 100, "free_capacity_gb": 100, "reserved_percentage": 0,
                                    "max_over_subscription_ratio": 1, "thin_provisioning_support": False,
                                    "capabilities": {}}])
    yield
    db_session.dispose()


@pytest.fixture
def set_conf(api_conf: cfg.ConfigOpts) -> Iterator[Callable[..., None]]:
    changed: list[tuple[str, str | None]] = []

    def set_override(name: str, value: object, group: str | None = None) -> None:
        api_conf.set_override(name, value, group=group)
        changed.append((name, group))

    yield set_override
    for name, group in changed:
        api_conf.clear_override(name, group=group)


class Api:
    """A TestClient speaking as one caller (token) at one microversion."""

    def __init__(self, client: TestClient, token: str | None = TOKEN, version: str | None = None) -> None:
        self.client = client
        self.token = token
        self.version = version

    def as_(self, token: str | None, version: str | None = None) -> Api:
        return Api(self.client, token, version or self.version)

    def headers(self, extra: dict[str, str] | None = None) -> dict[str, str]:
        headers = {}
        if self.token is not None:
            headers["X-Auth-Token"] = self.token
        if self.version is not None:
            headers["OpenStack-API-Version"] = f"volume {self.version}"
        headers.update(extra or {})
        return headers

    def request(self, method: str, path: str, body: Any = None, *, headers: dict[str, str] | None = None,
                content: bytes | None = None, params: dict[str, Any] | None = None) -> Any:
        return self.client.request(method, f"/v3{path}", json=body, content=content, params=params,
                                   headers=self.headers(headers))

    def get(self, path: str, **kwargs: Any) -> Any:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, body: Any = None, **kwargs: Any) -> Any:
        return self.request("POST", path, body, **kwargs)

    def put(self, path: str, body: Any = None, **kwargs: Any) -> Any:
        return self.request("PUT", path, body, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> Any:
        return self.request("DELETE", path, **kwargs)

    def create_volume(self, size: int = 1, **fields: Any) -> dict[str, Any]:
        response = self.post("/volumes", {"volume": {"size": size, **fields}})
        assert response.status_code == 202, response.text
        volume: dict[str, Any] = response.json()["volume"]
        return volume


@pytest.fixture
def app_factory(api_db: None, api_conf: cfg.ConfigOpts) -> Iterator[Callable[[], TestClient]]:
    """Build clients of a fresh app (after set_conf changes); each keeps one event loop until the test ends."""
    with ExitStack() as stack:
        def build() -> TestClient:
            return stack.enter_context(TestClient(create_app(api_conf)))

        yield build


@pytest.fixture
def api(app_factory: Callable[[], TestClient]) -> Api:
    return Api(app_factory())


def beat(node: str, *, age_s: float = 0, host: str = POOL.split("#")[0]) -> None:
    """A volume service process of ``host`` that last beat ``age_s`` seconds ago."""
    db.service_heartbeat(host=host, binary="ember-volume", topic="ember-volume", availability_zone="nova",
                         node=node)
    services = models.table_of(models.Service)
    with db_session.writer() as conn:
        conn.execute(sa.update(services).where(services.c.node == node)
                     .values(heartbeat_at=utcnow() - timedelta(seconds=age_s)))


def make_available(volume_id: str, *, host: str | None = POOL) -> None:
    """What the scheduler and the volume service would do: place the volume and land it available."""
    if host is not None:
        assert db.volume_schedule(volume_id, pool_name=host, size_gb=db.volume_get(volume_id).size_gb,
                                  creating_status=str(Status.CREATING))
    assert db.volume_transition(volume_id, edge("create.done")) is not None


@pytest.fixture
def casts(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, str, dict[str, Any]]]:
    """Record what the api casts to volume services instead of sending it."""
    sent: list[tuple[str, str, dict[str, Any]]] = []

    def record(self: VolumeClient, ctx: Any, backend_host: str, method: str, **kwargs: Any) -> None:
        sent.append((method, backend_host, kwargs))

    monkeypatch.setattr(VolumeClient, "_cast", record)
    return sent
