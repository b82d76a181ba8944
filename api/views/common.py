"""Pieces every view shares: Cinder's timestamp format and resource links."""

from __future__ import annotations

from datetime import datetime

from api.request import ApiCall


def iso(moment: datetime | None) -> str | None:
    """ISO 8601 with microseconds and no zone, as Cinder prints its (UTC) timestamps."""
    return moment.isoformat(timespec="microseconds") if moment is not None else None


def links(call: ApiCall, collection: str, resource_id: str, *, project_id: str | None = None) -> list[dict[str, str]]:
    project = project_id or call.project_id
    return [{"rel": "self", "href": f"{call.base_url}/v3/{project}/{collection}/{resource_id}"},
            {"rel": "bookmark", "href": f"{call.base_url}/{project}/{collection}/{resource_id}"}]
