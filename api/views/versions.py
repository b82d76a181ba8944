"""The version document clients read to discover ember's v3 API and its microversion range."""

from __future__ import annotations

from typing import Any

from api import microversion

UPDATED = "2023-09-19T00:00:00Z"  # when Cinder's 3.71 shipped; ember speaks that range


def v3(base_url: str) -> dict[str, Any]:
    return {
        "id": "v3.0",
        "status": "CURRENT",
        "version": microversion.MAX_VERSION,
        "min_version": microversion.MIN_VERSION,
        "updated": UPDATED,
        "links": [{"rel": "describedby", "type": "text/html", "href": "https://docs.openstack.org/"},
                  {"rel": "self", "href": f"{base_url}/v3/"}],
        "media-types": [{"base": "application/json",
                         "type": "application/vnd.openstack.volume+json;version=3"}],
    }
