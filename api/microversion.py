"""Microversions: parse ``OpenStack-API-Version: volume 3.X`` into the minor number X."""

from __future__ import annotations

import re

from api.errors import BadRequest, NotAcceptable

MIN_MINOR = 0
MAX_MINOR = 71
MIN_VERSION = f"3.{MIN_MINOR}"
MAX_VERSION = f"3.{MAX_MINOR}"
HEADER = "OpenStack-API-Version"
SERVICE = "volume"

_VERSION = re.compile(r"^([1-9][0-9]*)\.(0|[1-9][0-9]*)$")


def parse(header: str | None) -> int:
    """The requested minor version of 3.x; 3.0 when there is no header.

    A header that names no volume version, or a malformed one, is a BadRequest (as Cinder
    answers); a version out of range is NotAcceptable.
    """
    if header is None:
        return MIN_MINOR
    for item in header.split(","):
        service, _, value = item.strip().partition(" ")
        if service.lower() == SERVICE:
            return _minor(value.strip())
    raise BadRequest(f"Invalid {HEADER} header {header[:80]!r}: it must name the volume service and a "
                     f"version, e.g. '{SERVICE} {MAX_VERSION}'.")


def _minor(value: str) -> int:
    if value.lower() == "latest":
        return MAX_MINOR
    match = _VERSION.match(value)
    if match is None:
        raise BadRequest(f"API Version String {value} is of invalid format. Must be of format "
                         f"MajorNum.MinorNum.")
    major, minor = int(match.group(1)), int(match.group(2))
    if major != 3 or not MIN_MINOR <= minor <= MAX_MINOR:
        raise NotAcceptable(f"Version {value} is not supported by the API. Minimum is {MIN_VERSION} "
                            f"and maximum is {MAX_VERSION}.")
    return minor


def header_value(minor: int) -> str:
    return f"{SERVICE} 3.{minor}"
