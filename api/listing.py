"""How a collection list is answered: which projects it covers, the metadata filter, the page,
its next link and its count. The list routes call ``page``."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, Protocol, TypeVar

from starlette.responses import Response

from api import paging, responses
from api import schema_types as t
from api.errors import BadRequest
from api.request import ApiCall
from api.spec import Param, Req
from api.validation import query_metadata


class Listed(Protocol):
    @property
    def id(self) -> str: ...


class WithMetadata(Protocol):
    @property
    def metadata(self) -> Mapping[str, str]: ...


R = TypeVar("R", bound=Listed)

METADATA_PARAM = Param("metadata", t.text(8192), "Only items with these metadata entries: a JSON object "
                                                 "(or the Python dict literal python-cinderclient sends).")


def project_scope(call: ApiCall, query: Mapping[str, Any]) -> str | None:
    """The project to list, or None for every project.

    ``all_tenants`` is honoured for admins only and ignored for others, as in Cinder.
    """
    if call.is_admin and query.get("all_tenants"):
        return query.get("project_id") or None
    return call.project_id


def with_count(call: ApiCall, query: Mapping[str, Any]) -> bool:
    return call.since(45) and bool(query.get("with_count"))


# from 3.33 (resource filters) Cinder answers a filter a list does not take with a 400, except to the cloud
# admin; below it, and to the admin, an unknown filter is ignored
RESOURCE_FILTER_SINCE = 33


def reject_unknown_filters(call: ApiCall, req: Req) -> None:
    if not call.since(RESOURCE_FILTER_SINCE) or call.is_admin:
        return
    unknown = sorted(k for k in req.raw_query if k not in req.declared and k != "all_tenants")
    if unknown:
        raise BadRequest(f"Invalid filters {','.join(unknown)} are found in query options.")


def page(call: ApiCall, req: Req, *, key: str, path: str, sort_keys: Mapping[str, str],
         filters: Callable[[Mapping[str, Any]], dict[str, Any]], fetch: Callable[..., Sequence[R]],
         count: Callable[..., int] | None, view: Callable[[ApiCall, R], dict[str, Any]],
         strict_filters: bool = True) -> Response:
    """``{key: [...]}`` for one page, with ``<key>_links`` when it is full and ``count`` from 3.45.

    ``fetch`` and ``count`` take the ``db.<resource>_list`` / ``_count`` keyword arguments; the
    ``metadata`` query narrows the fetched page, so a page may come back shorter than its limit.
    With ``strict_filters`` (the resources /resource_filters lists) an unknown filter is a 400 as above.
    """
    if strict_filters:
        reject_unknown_filters(call, req)
    query = req.query
    paged = paging.parse(query, sort_keys=sort_keys, max_limit=call.settings.max_limit)
    project_id = project_scope(call, query)
    wanted_filters = filters(query)
    rows = fetch(project_id=project_id, filters=wanted_filters, sort=paged.sort, limit=paged.limit,
                 marker=paged.marker, offset=paged.offset)
    shown: Sequence[R] = rows
    if "metadata" in query:
        wanted = query_metadata(query["metadata"])
        shown = [r for r in rows if _has_metadata(r, wanted)]
    body: dict[str, Any] = {key: [view(call, row) for row in shown]}
    body.update(paging.next_links(call, req.raw_query, collection_path=path, page=paged, rows=rows, key=key))
    if count is not None and with_count(call, query):
        body["count"] = count(project_id=project_id, filters=wanted_filters)
    return responses.json(body)


def _has_metadata(row: Any, wanted: Mapping[str, str]) -> bool:
    metadata: Mapping[str, str] = row.metadata
    return all(metadata.get(k) == v for k, v in wanted.items())
