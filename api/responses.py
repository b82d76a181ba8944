"""JSON responses serialised with orjson, built from plain dicts (no response models)."""

from __future__ import annotations

from typing import Any

import orjson
from starlette.responses import Response


def json(body: Any, status_code: int = 200) -> Response:
    return Response(orjson.dumps(body), status_code=status_code, media_type="application/json")


def accepted() -> Response:
    return Response(status_code=202)


def no_content() -> Response:
    return Response(status_code=204)
