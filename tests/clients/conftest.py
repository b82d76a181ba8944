"""Client-tier fixtures: a real ember-all (file driver, SQLite, fake://) on a free port."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bench.stack import EmbeddedStack


@pytest.fixture(scope="session")
def ember() -> Iterator[EmbeddedStack]:
    stack = EmbeddedStack(driver="file", quota_volumes=100).start()
    yield stack
    stack.close()
