"""Small explicit checks of request bodies and query strings; each failure is a 400 naming the field."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable, Mapping
from typing import Any

import orjson

from api.errors import BadRequest

MAX_NAME = 255
MAX_INT = 2**31 - 1
_DIGITS = re.compile(r"^[0-9]+$")
_TRUE = frozenset({"1", "t", "true", "on", "y", "yes"})
_FALSE = frozenset({"0", "f", "false", "off", "n", "no"})


def invalid(field: str, value: object, why: str) -> BadRequest:
    shown = orjson.dumps(value).decode() if not isinstance(value, str) else value
    return BadRequest(f"Invalid input for field/attribute {field}. Value: {shown}. {why}")


def section(body: Any, key: str) -> dict[str, Any]:
    """``body[key]``, which must be a JSON object."""
    if not isinstance(body, dict) or key not in body:
        raise BadRequest(f"Missing required element '{key}' in request body.")
    value = body[key]
    if not isinstance(value, dict):
        raise invalid(key, value, "It must be an object.")
    return value


def only(obj: Mapping[str, Any], allowed: Iterable[str], where: str) -> None:
    unexpected = sorted(set(obj) - set(allowed))
    if unexpected:
        raise BadRequest(f"Invalid input for field/attribute {where}. Additional properties are not allowed "
                         f"({', '.join(repr(k) for k in unexpected)} unexpected).")


def size(value: Any, field: str = "size") -> int:
    """A size in GB: an integer (or a string of digits, as Cinder accepts) of at least 1."""
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise invalid(field, value, "It must be an integer of at least 1.")
    if isinstance(value, str) and not _DIGITS.match(value):
        raise invalid(field, value, "It must be an integer of at least 1.")
    number = int(value)
    if not 1 <= number <= MAX_INT:
        raise invalid(field, value, f"It must be an integer from 1 to {MAX_INT}.")
    return number


def text(obj: Mapping[str, Any], field: str, *, max_len: int = MAX_NAME, required: bool = False) -> str | None:
    value = obj.get(field)
    if value is None:
        if required:
            raise BadRequest(f"Invalid input for field/attribute {field}. It is required.")
        return None
    if not isinstance(value, str):
        raise invalid(field, value, "It must be a string.")
    if len(value) > max_len:
        raise invalid(field, value[:40] + "…", f"It must be at most {max_len} characters long.")
    return value


def uuid_ref(obj: Mapping[str, Any], field: str) -> str | None:
    value = text(obj, field, max_len=36)
    return value or None


def metadata(value: Any, field: str = "metadata") -> dict[str, str]:
    """A JSON object of string keys (1-255 characters) to string values (at most 255)."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise invalid(field, value, "It must be an object of string keys to string values.")
    for key, item in value.items():
        if not 1 <= len(key) <= MAX_NAME:
            raise invalid(field, key, "Metadata keys must be 1 to 255 characters long.")
        if not isinstance(item, str):
            raise invalid(f"{field}.{key}", item, "Metadata values must be strings.")
        if len(item) > MAX_NAME:
            raise invalid(f"{field}.{key}", item[:40] + "…", "Metadata values must be at most 255 characters.")
    return dict(value)


def boolean(value: Any, field: str) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        lowered = value.strip().lower()
        if lowered in _TRUE:
            return True
        if lowered in _FALSE:
            return False
    raise invalid(field, value, "It must be a boolean.")


def query_int(value: str | None, name: str, *, minimum: int = 0) -> int | None:
    if value is None or value == "":
        return None
    try:
        number = int(value)
    except ValueError:
        raise BadRequest(f"{name} param must be an integer") from None
    if number < minimum:
        raise BadRequest(f"{name} param must be {'positive' if minimum > 0 else 'non-negative'}")
    return number


def query_bool(value: str | None, name: str, *, default: bool = False) -> bool:
    if value is None:
        return default
    return boolean(value, name)


def query_metadata(value: str) -> dict[str, str]:
    """The metadata filter: a JSON object, or the Python-literal dict python-cinderclient sends."""
    if len(value) > 8 * 1024:
        raise invalid("metadata", value[:40] + "…", "The filter is too long.")
    try:
        parsed = orjson.loads(value)
    except orjson.JSONDecodeError:
        try:
            parsed = ast.literal_eval(value)
        except (ValueError, SyntaxError):
            raise invalid("metadata", value, "It must be a JSON object such as {\"key\": \"value\"}.") from None
    if not isinstance(parsed, dict) or not all(isinstance(k, str) and isinstance(v, str)
                                               for k, v in parsed.items()):
        raise invalid("metadata", value, "It must be an object of string keys to string values.")
    return parsed
