"""Checks the schemas cannot make: the metadata filter (a query value left as text), and the number of
metadata items a volume or snapshot may hold ([DEFAULT] max_metadata_items)."""

from __future__ import annotations

import ast
from collections.abc import Mapping

import orjson

from api.errors import BadRequest
from api.spec import shown


def invalid(field: str, value: object, why: str) -> BadRequest:
    return BadRequest(f"Invalid input for field/attribute {field}. Value: {shown(value)}. {why}")


def query_metadata(value: str) -> dict[str, str]:
    """The metadata filter: a JSON object, or the Python-literal dict python-cinderclient sends."""
    try:
        parsed = orjson.loads(value)
    except orjson.JSONDecodeError:
        try:
            parsed = ast.literal_eval(value)
        except (ValueError, SyntaxError, MemoryError, RecursionError):
            raise invalid("metadata", value, "It must be a JSON object such as {\"key\": \"value\"}.") from None
    if not isinstance(parsed, dict) or not all(isinstance(k, str) and isinstance(v, str)
                                               for k, v in parsed.items()):
        raise invalid("metadata", value, "It must be an object of string keys to string values.")
    return parsed


def check_metadata_size(metadata: Mapping[str, str], *, limit: int, resource: str) -> None:
    """BadRequest (Cinder's "Invalid metadata size") if the metadata a ``resource`` would hold has more
    than ``limit`` items."""
    if len(metadata) > limit:
        raise BadRequest(f"Invalid metadata size: a {resource} may hold at most {limit} metadata items; this "
                         f"request would give it {len(metadata)}. Delete some keys, or replace them all with "
                         "PUT.")
