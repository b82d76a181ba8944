"""/v3/volumes/{id}/metadata: read, merge (POST), replace (PUT) and delete single keys."""

from __future__ import annotations

from api.actions import volumes as actions
from api.policies import volume_metadata as rules
from api.routes.metadata import metadata_routes

routes = metadata_routes("volume", tag="volumes", actions=actions, read=rules.GET, merge=rules.CREATE,
                         replace=rules.UPDATE, delete=rules.DELETE)
