"""The version document clients read to discover ember's v3 API and its microversion range."""

from __future__ import annotations

from typing import Any

from api import microversion
from api import schema_types as t

UPDATED = "2023-09-19T00:00:00Z"  # when Cinder's 3.71 shipped; ember speaks that range


VERSION = t.obj({"id": t.STRING, "status": t.STRING, "version": t.STRING, "min_version": t.STRING,
                 "updated": t.STRING, "links": t.array(t.ANY_OBJECT), "media-types": t.array(t.ANY_OBJECT)},
                required=["id", "status", "version", "min_version", "links"])
VERSIONS = t.obj({"versions": t.array(VERSION)}, required=["versions"])
OPENAPI_PATH = "/v3/openapi.json"


def v3(base_url: str) -> dict[str, Any]:
    return {
        "id": "v3.0",
        "status": "CURRENT",
        "version": microversion.MAX_VERSION,
        "min_version": microversion.MIN_VERSION,
        "updated": UPDATED,
        "links": [{"rel": "describedby", "type": "text/html", "href": "https://docs.openstack.org/"},
                  {"rel": "describedby", "type": "application/openapi+json", "href": f"{base_url}{OPENAPI_PATH}"},
                  {"rel": "self", "href": f"{base_url}/v3/"}],
        "media-types": [{"base": "application/json",
                         "type": "application/vnd.openstack.volume+json;version=3"}],
    }
