"""Collection paging shared by every list: limit/marker/offset, sort keys, the "next" link."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from starlette.datastructures import QueryParams

from api.errors import BadRequest
from api.request import ApiCall
from api.validation import query_int

DIRECTIONS = ("asc", "desc")
PAGING_PARAMS = frozenset({"limit", "marker", "offset", "sort", "sort_key", "sort_dir", "with_count",
                           "all_tenants", "project_id"})


@dataclass(frozen=True)
class Page:
    limit: int
    marker: str | None
    offset: int | None
    sort: list[tuple[str, str]]


def parse(query: QueryParams, *, sort_keys: Mapping[str, str], max_limit: int) -> Page:
    """Read limit/marker/offset/sort; ``sort_keys`` maps Cinder's key names to columns."""
    limit = query_int(query.get("limit"), "limit")
    offset = query_int(query.get("offset"), "offset")
    return Page(limit=min(limit or max_limit, max_limit),  # 0 means no limit, as in Cinder
                marker=query.get("marker") or None, offset=offset or None,
                sort=_sort(query, sort_keys))


def _sort(query: QueryParams, sort_keys: Mapping[str, str]) -> list[tuple[str, str]]:
    pairs: list[tuple[str, str]] = []
    if "sort" in query:
        if "sort_key" in query or "sort_dir" in query:
            raise BadRequest("The 'sort_key' and 'sort_dir' parameters are deprecated and cannot be used "
                             "with the 'sort' parameter.")
        for item in query["sort"].split(","):
            key, _, direction = item.strip().partition(":")
            pairs.append((key.strip(), direction.strip() or "desc"))
    elif "sort_key" in query or "sort_dir" in query:
        keys = [k.strip() for k in query.get("sort_key", "created_at").split(",")]
        dirs = [d.strip() for d in query.get("sort_dir", "desc").split(",")]
        if len(dirs) > len(keys):
            raise BadRequest("Sort direction array size exceeds sort key array size.")
        dirs += [dirs[-1] if dirs else "desc"] * (len(keys) - len(dirs))
        pairs = list(zip(keys, dirs, strict=True))
    else:
        pairs = [("created_at", "desc")]
    sort: list[tuple[str, str]] = []
    for key, direction in pairs:
        if key not in sort_keys:
            raise BadRequest(f"Invalid sort key {key!r}: it must be one of {', '.join(sorted(sort_keys))}.")
        if direction.lower() not in DIRECTIONS:
            raise BadRequest(f"Invalid sort direction {direction!r} for key {key!r}: it must be asc or desc.")
        column = sort_keys[key]
        if all(column != c for c, _ in sort):
            sort.append((column, direction.lower()))
    return sort


def next_links(call: ApiCall, query: QueryParams, *, collection_path: str, page: Page,
               rows: Sequence[Any], key: str) -> dict[str, list[dict[str, str]]]:
    """``{"<key>_links": [next]}`` when the page came back full, else nothing.

    ``collection_path`` is the path after /v3 (e.g. ``/volumes/detail``); the link carries the
    project, as Cinder's do, and every other query parameter of this request.
    """
    if not rows or len(rows) < page.limit:
        return {}
    params = [(k, v) for k, v in query.multi_items() if k != "marker"]
    params.append(("marker", rows[-1].id))
    href = f"{call.base_url}/v3/{call.project_id}{collection_path}?{urlencode(params)}"
    return {f"{key}_links": [{"rel": "next", "href": href}]}
