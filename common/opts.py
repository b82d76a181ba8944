"""Every ember option, for oslo-config-generator (the sample ember.conf in deploy/)."""

from __future__ import annotations

from typing import Any


def list_opts() -> list[tuple[str | None, list[Any]]]:
    from api import options as api_options
    from common import options as common_options
    from db import options as db_options
    from drivers import options as driver_options
    from scheduler import options as scheduler_options
    from volume import options as volume_options

    defaults = [*common_options.DEFAULT_OPTS, *volume_options.VOLUME_OPTS, *scheduler_options.SCHEDULER_OPTS,
                *api_options.API_OPTS]
    return [("DEFAULT", defaults), ("database", list(db_options.DATABASE_OPTS)),
            ("oslo_middleware", list(api_options.BODY_OPTS)), *driver_options.list_opts()]
