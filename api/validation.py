"""The one query value the schemas leave as text: the metadata filter, parsed here."""

from __future__ import annotations

import ast

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
