"""HTTP faults: the one table that maps ember's errors to Cinder-format responses.

ApiError                       raised by the HTTP edge itself
├── BadRequest        400
├── Unauthorized      401      no token, or one Keystone (or noauth) does not accept; WWW-Authenticate
├── Forbidden         403      not allowed by policy (api.policies)
├── ItemNotFound      404      e.g. a method that needs a later microversion
├── NotAcceptable     406      unsupported microversion (Cinder's fault name for it: computeFault)
├── ConflictingRequest 409     e.g. an Idempotency-Key reused for another request
├── RequestTooLarge   413      a body above [oslo_middleware] max_request_body_size
├── OverLimit         413      a limit that is no quota reservation (a volume above per_volume_gigabytes)
├── Unsupported       415      a body that is not JSON (Content-Type)
└── IdentityUnavailable 503    Keystone does not answer the token validation
Other layers' errors (db, volume, rpc) are mapped in ``HTTP_FAULT`` by walking the MRO,
so the most specific entry wins. Anything unmapped is a 500 that carries only the
request id; its details go to the log.
"""

from __future__ import annotations

import logging

import orjson
from starlette.responses import Response

from db import errors as db_errors
from rpc.errors import ServiceUnavailable
from volume.errors import InvalidRequest, StorageFailed, VolumeStateConflict

log = logging.getLogger(__name__)


class ApiError(Exception):
    def __init__(self, message: str = "", *, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.headers = dict(headers or {})  # sent with the fault (a 401's WWW-Authenticate)


class BadRequest(ApiError):
    pass


class Unauthorized(ApiError):
    pass


class Forbidden(ApiError):
    pass


class ItemNotFound(ApiError):
    pass


class NotAcceptable(ApiError):
    pass


class ConflictingRequest(ApiError):
    pass


class RequestTooLarge(ApiError):
    pass


class OverLimit(ApiError):
    pass


class Unsupported(ApiError):
    pass


class IdentityUnavailable(ApiError):
    pass


HTTP_FAULT: dict[type[Exception], tuple[int, str]] = {
    BadRequest: (400, "badRequest"),
    Unauthorized: (401, "unauthorized"),
    Forbidden: (403, "forbidden"),
    ItemNotFound: (404, "itemNotFound"),
    NotAcceptable: (406, "computeFault"),
    ConflictingRequest: (409, "conflictingRequest"),
    RequestTooLarge: (413, "overLimit"),
    OverLimit: (413, "overLimit"),
    Unsupported: (415, "badMediaType"),
    IdentityUnavailable: (503, "serviceUnavailable"),
    db_errors.NotFound: (404, "itemNotFound"),
    db_errors.Conflict: (400, "badRequest"),
    db_errors.Duplicate: (409, "conflictingRequest"),
    db_errors.QuotaExceeded: (413, "overLimit"),
    VolumeStateConflict: (400, "badRequest"),
    InvalidRequest: (400, "badRequest"),
    ServiceUnavailable: (503, "serviceUnavailable"),
    StorageFailed: (500, "computeFault"),
}


# Cinder's fault names for statuses the framework itself answers (unknown path, wrong method); any
# other status is a computeFault, as in Cinder's fault table (which names no 406, for one)
STATUS_FAULT: dict[int, str] = {400: "badRequest", 401: "unauthorized", 403: "forbidden", 404: "itemNotFound",
                                405: "badMethod", 409: "conflictingRequest", 413: "overLimit",
                                415: "badMediaType", 501: "notImplemented", 503: "serviceUnavailable"}


def policy_forbidden(rule: str) -> Forbidden:
    return Forbidden(f"Policy doesn't allow {rule} to be performed.")


def version_not_found(minor: int) -> ItemNotFound:
    return ItemNotFound(f"API version 3.{minor} is not supported on this method.")


def fault_body(code: int, kind: str, message: str) -> bytes:
    return orjson.dumps({kind: {"code": code, "message": message}})


def fault_response(code: int, kind: str, message: str, headers: dict[str, str] | None = None) -> Response:
    return Response(fault_body(code, kind, message), status_code=code, media_type="application/json",
                    headers=headers)


def response_for(error: Exception, request_id: str) -> Response:
    for cls in type(error).__mro__:
        if cls in HTTP_FAULT:
            code, kind = HTTP_FAULT[cls]
            return fault_response(code, kind, str(error), headers=getattr(error, "headers", None) or None)
    log.exception("unexpected error", exc_info=error)
    return fault_response(500, "computeFault",
                          f"The server has either erred or is incapable of performing the requested "
                          f"operation. Request id: {request_id}")
