"""Fixtures shared by every tier: the loaded config and a fresh SQLite DB per test."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from oslo_config import cfg

from db import migrate, session

_loaded = False
# the key of the secrets at rest in tests that configure the DB in this process (not generated
# under state_path, which is the user's home by default)
TEST_SECRET_KEY = "c2VjcmV0cy1vZi10aGUtZW1iZXItdGVzdC1zdWl0ZSE="


def use_test_key(conf: cfg.ConfigOpts) -> None:
    conf.set_default("secret_keys", [TEST_SECRET_KEY], group="keys")


def load_conf() -> cfg.ConfigOpts:
    """Register every option on the global CONF once (oslo.messaging insists on the global one)."""
    global _loaded
    if not _loaded:
        from drivers import options as driver_options
        from launch import opts

        opts.load("ember-all", [], default_config_files=[])
        driver_options.register_backend(cfg.CONF, "file-1")
        use_test_key(cfg.CONF)
        _loaded = True
    return cfg.CONF


@pytest.fixture(scope="session")
def conf() -> cfg.ConfigOpts:
    return load_conf()


@pytest.fixture(scope="session")
def migrated_template(tmp_path_factory: pytest.TempPathFactory, conf: cfg.ConfigOpts) -> Path:
    """One SQLite file migrated to head with alembic; each test gets a copy."""
    path = tmp_path_factory.mktemp("template") / "ember.sqlite"
    engine = session.make_engine(f"sqlite:///{path}")
    migrate.upgrade(engine)
    engine.dispose()
    return path


@pytest.fixture
def sqlite_db(tmp_path: Path, conf: cfg.ConfigOpts, migrated_template: Path) -> Iterator[str]:
    path = tmp_path / "ember.sqlite"
    shutil.copy(migrated_template, path)
    url = f"sqlite:///{path}"
    session.configure(conf, url=url)
    yield url
    session.dispose()


@pytest.fixture
def overrides(conf: cfg.ConfigOpts) -> Iterator[object]:
    """``overrides(name, value, group=None)`` sets an option for this test only."""
    set_names: list[tuple[str, str | None]] = []

    def _set(name: str, value: object, group: str | None = None) -> None:
        conf.set_override(name, value, group=group)
        set_names.append((name, group))

    yield _set
    for name, group in reversed(set_names):
        conf.clear_override(name, group=group)
