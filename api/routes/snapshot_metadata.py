"""/v3/snapshots/{id}/metadata: read, merge (POST), replace (PUT) and delete single keys."""

from __future__ import annotations

from api.actions import snapshots as actions
from api.policies import snapshot_metadata as rules
from api.routes.metadata import metadata_routes

routes = metadata_routes("snapshot", tag="snapshots", actions=actions, read=rules.GET, merge=rules.UPDATE,
                         replace=rules.UPDATE, delete=rules.DELETE)
