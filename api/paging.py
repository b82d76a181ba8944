"""Collection paging shared by every list: its query parameters, limit/marker/offset, sort, the next link."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from starlette.datastructures import QueryParams

from api import schema_types as t
from api.errors import BadRequest
from api.request import ApiCall
from api.spec import Param

DIRECTIONS = ("asc", "desc")
BOOLEAN_QUERY: t.JsonSchema = {"type": "boolean"}
_DIRECTION = "(asc|desc)"


def sort_pattern(keys: Sequence[str]) -> str:
    key = "(" + "|".join(re.escape(k) for k in sorted(keys)) + ")"
    return f"^{key}(:{_DIRECTION})?(,{key}(:{_DIRECTION})?)*$"


def params(sort_keys: Mapping[str, str]) -> tuple[Param, ...]:
    """The paging and sorting parameters of a list whose sort keys are ``sort_keys``."""
    keys = sorted(sort_keys)
    key_list = "(" + "|".join(re.escape(k) for k in keys) + ")"
    return (
        Param("limit", {"type": "integer", "minimum": 0, "maximum": t.MAX_INT},
              "Most items to return (capped by osapi_max_limit); 0 returns an empty page."),
        Param("marker", t.ID, "Id of the last item of the previous page."),
        Param("offset", {"type": "integer", "minimum": 0, "maximum": t.MAX_INT}, "Items to skip."),
        Param("sort", {"type": "string", "maxLength": 1024, "pattern": sort_pattern(keys)},
              "key[:asc|desc][,key[:asc|desc]...]; the default is created_at:desc."),
        Param("sort_key", {"type": "string", "maxLength": 1024, "pattern": f"^{key_list}(,{key_list})*$"},
              "Deprecated: use sort."),
        Param("sort_dir", {"type": "string", "maxLength": 256, "pattern": f"^{_DIRECTION}(,{_DIRECTION})*$"},
              "Deprecated: use sort."),
    )


COUNT_PARAM = Param("with_count", BOOLEAN_QUERY, "From 3.45: also return the number of matching items.")
PROJECT_PARAMS = (
    Param("all_tenants", BOOLEAN_QUERY, "Admins only: list every project's items."),
    Param("project_id", t.text(), "With all_tenants: only this project's items."),
)


@dataclass(frozen=True)
class Page:
    limit: int
    marker: str | None
    offset: int | None
    sort: list[tuple[str, str]]


DEFAULT_SORT = (("created_at", "desc"),)


def parse(query: Mapping[str, Any], *, sort_keys: Mapping[str, str], max_limit: int,
          default_sort: Sequence[tuple[str, str]] = DEFAULT_SORT) -> Page:
    """Read limit/marker/offset/sort (already checked against ``params``) into a Page.

    ``default_sort`` is in column names, used when the query names no sort.
    """
    limit = query.get("limit")
    sort = _sort(query, sort_keys) if {"sort", "sort_key", "sort_dir"} & set(query) else list(default_sort)
    return Page(limit=max_limit if limit is None else min(limit, max_limit),  # 0: an empty page, as Cinder's
                marker=query.get("marker") or None, offset=query.get("offset") or None, sort=sort)


def _sort(query: Mapping[str, Any], sort_keys: Mapping[str, str]) -> list[tuple[str, str]]:
    pairs: list[tuple[str, str]] = []
    if "sort" in query:
        if "sort_key" in query or "sort_dir" in query:
            raise BadRequest("The 'sort_key' and 'sort_dir' parameters are deprecated and cannot be used "
                             "with the 'sort' parameter.")
        for item in query["sort"].split(","):
            key, _, direction = item.partition(":")
            pairs.append((key, direction or "desc"))
    elif "sort_key" in query or "sort_dir" in query:
        keys = query.get("sort_key", "created_at").split(",")
        dirs = query.get("sort_dir", "desc").split(",")
        if len(dirs) > len(keys):
            raise BadRequest("Sort direction array size exceeds sort key array size.")
        dirs += [dirs[-1]] * (len(keys) - len(dirs))
        pairs = list(zip(keys, dirs, strict=True))
    sort: list[tuple[str, str]] = []
    for key, direction in pairs:
        column = sort_keys[key]
        if all(column != c for c, _ in sort):
            sort.append((column, direction))
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
    # the form the client used: /v3/{project_id}/volumes or /v3/volumes (Tempest compares the paths)
    prefix = f"/v3/{call.project_id}" if call.project_in_url else "/v3"
    href = f"{call.base_url}{prefix}{collection_path}?{urlencode(params)}"
    return {f"{key}_links": [{"rel": "next", "href": href}]}
