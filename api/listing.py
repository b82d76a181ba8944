"""How a collection list is answered: which projects it covers, the metadata filter, the page,
its next link and its count. The volume and snapshot routes call ``page``."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, Protocol, TypeVar

from starlette.datastructures import QueryParams
from starlette.responses import Response

from api import paging, responses
from api.request import ApiCall
from api.validation import query_bool, query_metadata


class Listed(Protocol):
    @property
    def id(self) -> str: ...

    @property
    def metadata(self) -> Mapping[str, str]: ...


R = TypeVar("R", bound=Listed)


def project_scope(call: ApiCall, query: QueryParams) -> str | None:
    """The project to list, or None for every project.

    ``all_tenants`` is honoured for admins only and ignored for others, as in Cinder.
    """
    if call.is_admin and query_bool(query.get("all_tenants"), "all_tenants"):
        return query.get("project_id") or None
    return call.project_id


def with_count(call: ApiCall, query: QueryParams) -> bool:
    return call.since(45) and query_bool(query.get("with_count"), "with_count")


def page(call: ApiCall, query: QueryParams, *, key: str, path: str, sort_keys: Mapping[str, str],
         filters: Callable[[QueryParams], dict[str, Any]], fetch: Callable[..., Sequence[R]],
         count: Callable[..., int], view: Callable[[ApiCall, R], dict[str, Any]]) -> Response:
    """``{key: [...]}`` for one page, with ``<key>_links`` when it is full and ``count`` from 3.45.

    ``fetch`` and ``count`` take the ``db.<resource>_list`` / ``_count`` keyword arguments; the
    ``metadata`` query narrows the fetched page, so a page may come back shorter than its limit.
    """
    paged = paging.parse(query, sort_keys=sort_keys, max_limit=call.settings.max_limit)
    project_id = project_scope(call, query)
    wanted_filters = filters(query)
    rows = fetch(project_id=project_id, filters=wanted_filters, sort=paged.sort, limit=paged.limit,
                 marker=paged.marker, offset=paged.offset)
    wanted = query_metadata(query["metadata"]) if "metadata" in query else None
    shown = [r for r in rows if wanted is None or all(r.metadata.get(k) == val for k, val in wanted.items())]
    body: dict[str, Any] = {key: [view(call, row) for row in shown]}
    body.update(paging.next_links(call, query, collection_path=path, page=paged, rows=rows, key=key))
    if with_count(call, query):
        body["count"] = count(project_id=project_id, filters=wanted_filters)
    return responses.json(body)
