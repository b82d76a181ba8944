"""JSON-schema pieces the request and response schemas are built from.

The limits are the DB's (names 255 characters, ids 36) and Cinder's (metadata keys, booleans
as Cinder spells them), so that what passes a schema always fits the columns it lands in.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

JsonSchema = dict[str, Any]

MAX_NAME = 255
MAX_ID = 36
MAX_INT = 2**31 - 1

# no control characters at all in a name; a description may hold tabs and line breaks
NO_CONTROL = "^[^\\x00-\\x1f\\x7f-\\x9f]*$"
NO_CONTROL_BUT_LINES = "^[^\\x00-\\x08\\x0b\\x0c\\x0e-\\x1f\\x7f-\\x9f]*$"
METADATA_KEY = "^[a-zA-Z0-9\\-_:. /]{1,255}$"  # Cinder's metadata and extra-spec keys

# the spellings of a boolean Cinder accepts in a body
TRUE_WORDS = ("True", "TRUE", "true", "1", "ON", "On", "on", "YES", "Yes", "yes", "y", "t")
FALSE_WORDS = ("False", "FALSE", "false", "0", "OFF", "Off", "off", "NO", "No", "no", "n", "f")


def nullable(schema: JsonSchema) -> JsonSchema:
    kinds = schema.get("type", [])
    kinds = [kinds] if isinstance(kinds, str) else list(kinds)
    result = {**schema, "type": [*kinds, "null"]}
    if "enum" in schema:
        result["enum"] = [*schema["enum"], None]
    return result


def obj(properties: Mapping[str, JsonSchema], *, required: Iterable[str] = (), extra: bool = True,
        **more: Any) -> JsonSchema:
    schema: JsonSchema = {"type": "object", "properties": dict(properties), **more}
    required = list(required)
    if required:
        schema["required"] = required
    if not extra:
        schema["additionalProperties"] = False
    return schema


def one_of(values: Iterable[str]) -> JsonSchema:
    """A string that is one of ``values``, listed as plain strings (a StrEnum member would show its
    Python repr in a validation message)."""
    return {"type": "string", "enum": sorted(str(v) for v in values)}


def array(items: JsonSchema) -> JsonSchema:
    return {"type": "array", "items": items}


def text(max_len: int = MAX_NAME, *, lines: bool = False, min_len: int = 0) -> JsonSchema:
    schema: JsonSchema = {"type": "string", "maxLength": max_len,
                          "pattern": NO_CONTROL_BUT_LINES if lines else NO_CONTROL}
    if min_len:
        schema["minLength"] = min_len
    return schema


def up_to(limit: int) -> str:
    """A regular expression matching the decimal numbers 1..``limit`` (no sign, no leading zero)."""
    digits = str(limit)
    alternatives = [f"[1-9][0-9]{{0,{len(digits) - 2}}}"] if len(digits) > 1 else []
    for i, digit in enumerate(digits):
        prefix, rest = digits[:i], len(digits) - i - 1
        low = "1" if i == 0 else "0"
        if digit > low:
            below = chr(ord(digit) - 1)
            alternatives.append(f"{prefix}[{low}-{below}][0-9]{{{rest}}}")
    alternatives.append(digits)
    return "^(" + "|".join(alternatives) + ")$"


NAME = nullable(text())
DESCRIPTION = nullable(text(lines=True))
ID = text(MAX_ID)
ID_OR_NULL = nullable(ID)
# a size in GB: an integer, or its digits as a string (Cinder accepts both)
SIZE: JsonSchema = {"type": ["integer", "string"], "minimum": 1, "maximum": MAX_INT, "pattern": up_to(MAX_INT)}
BOOLEAN: JsonSchema = {"type": ["boolean", "string"], "enum": [True, *TRUE_WORDS, False, *FALSE_WORDS]}
METADATA = obj({}, patternProperties={METADATA_KEY: {"type": "string", "maxLength": MAX_NAME}}, extra=False)
ANY_OBJECT: JsonSchema = {"type": "object"}

# -- what responses are made of -----------------------------------------------------------------

STRING: JsonSchema = {"type": "string"}
STRING_OR_NULL = nullable(STRING)
INTEGER: JsonSchema = {"type": "integer"}
NUMBER: JsonSchema = {"type": "number"}
BOOL: JsonSchema = {"type": "boolean"}
LINKS = array(obj({"rel": STRING, "href": STRING}, required=["rel", "href"]))
STRING_MAP = obj({}, additionalProperties=STRING)
FAULT = obj({}, minProperties=1, maxProperties=1,
            additionalProperties=obj({"code": INTEGER, "message": STRING}, required=["code", "message"]))


def truthy(word: object) -> bool:
    """A value the BOOLEAN schema accepted, as a bool."""
    return word is True or word in TRUE_WORDS
