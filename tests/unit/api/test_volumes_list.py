"""GET /volumes and /volumes/detail: paging, sorting, filters, all_tenants, counts."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest

from tests.unit.api.conftest import OTHER_TOKEN, Api, make_available


def _names(response: Any, key: str = "volumes") -> list[str]:
    assert response.status_code == 200, response.text
    return [v["name"] for v in response.json()[key]]


@pytest.fixture
def three(api: Api) -> list[dict[str, Any]]:
    return [api.create_volume(size, name=name, metadata=meta) for size, name, meta in
            ((3, "c", {"tier": "gold"}), (1, "a", {}), (2, "b", {"tier": "gold", "x": "y"}))]


def test_summary_lists_id_name_links_only(api: Api, three: list[dict[str, Any]]) -> None:
    volumes = api.get("/volumes").json()["volumes"]
    assert len(volumes) == 3
    assert all(set(v) == {"id", "name", "links"} for v in volumes)


def test_detail_lists_full_volumes_newest_first(api: Api, three: list[dict[str, Any]]) -> None:
    response = api.get("/volumes/detail")
    assert _names(response) == ["b", "a", "c"]
    assert response.json()["volumes"][0]["size"] == 2


@pytest.mark.parametrize(("params", "expected"), [
    ({"sort": "size:asc"}, ["a", "b", "c"]),
    ({"sort": "name:desc"}, ["c", "b", "a"]),
    ({"sort": "name"}, ["c", "b", "a"]),
    ({"sort_key": "size", "sort_dir": "asc"}, ["a", "b", "c"]),
    ({"sort": "status:asc,size:desc"}, ["c", "b", "a"]),
])
def test_sorting(api: Api, three: list[dict[str, Any]], params: dict[str, str], expected: list[str]) -> None:
    assert _names(api.get("/volumes/detail", params=params)) == expected


@pytest.mark.parametrize("params", [{"sort": "colour:asc"}, {"sort": "size:sideways"},
                                    {"sort_key": "nope"}, {"sort": "size", "sort_key": "name"}])
def test_bad_sort_is_a_400(api: Api, params: dict[str, str]) -> None:
    assert api.get("/volumes", params=params).status_code == 400


@pytest.mark.parametrize("limit", ["abc", "-1"])
def test_bad_limit_is_a_400(api: Api, limit: str) -> None:
    response = api.get("/volumes", params={"limit": limit})
    assert response.status_code == 400
    assert "limit" in response.json()["badRequest"]["message"]


def test_full_page_links_to_the_next_one_by_marker(api: Api, three: list[dict[str, Any]]) -> None:
    first = api.get("/volumes/detail", params={"sort": "size:asc", "limit": 2}).json()
    assert [v["name"] for v in first["volumes"]] == ["a", "b"]
    (link,) = first["volumes_links"]
    assert link["rel"] == "next"
    url = urlparse(link["href"])
    assert url.path == "/v3/volumes/detail"  # the form the request used: no project id in it
    query = parse_qs(url.query)
    assert query["marker"] == [first["volumes"][-1]["id"]]
    assert query["limit"] == ["2"] and query["sort"] == ["size:asc"]
    second = api.get("/volumes/detail", params={k: v[0] for k, v in query.items()}).json()
    assert [v["name"] for v in second["volumes"]] == ["c"]
    assert "volumes_links" not in second


def test_offset_skips(api: Api, three: list[dict[str, Any]]) -> None:
    assert _names(api.get("/volumes/detail", params={"sort": "size:asc", "offset": 1})) == ["b", "c"]


def test_osapi_max_limit_caps_a_page(three: list[dict[str, Any]], set_conf: Any, app_factory: Any) -> None:
    set_conf("osapi_max_limit", 2)
    capped = Api(app_factory())
    response = capped.get("/volumes", params={"limit": 50})
    assert len(response.json()["volumes"]) == 2
    assert "volumes_links" in response.json()


def test_unknown_marker_is_a_404(api: Api) -> None:
    assert api.get("/volumes", params={"marker": "nope"}).status_code == 404


def test_filters(api: Api, three: list[dict[str, Any]]) -> None:
    make_available(three[1]["id"])
    assert _names(api.get("/volumes/detail", params={"name": "b"})) == ["b"]
    assert _names(api.get("/volumes/detail", params={"status": "available"})) == ["a"]
    assert _names(api.get("/volumes/detail", params={"availability_zone": "nowhere"})) == []
    assert _names(api.get("/volumes/detail", params={"bootable": "false", "sort": "name:asc"})) == ["a", "b", "c"]
    assert _names(api.get("/volumes/detail", params={"metadata": '{"tier": "gold"}'})) == ["b", "c"]
    assert _names(api.get("/volumes/detail", params={"metadata": "{'x': 'y'}"})) == ["b"]


@pytest.mark.parametrize("params", [{"bootable": "maybe"}, {"metadata": "[1]"}, {"metadata": "{oops"}])
def test_bad_filters_are_400s(api: Api, params: dict[str, str]) -> None:
    assert api.get("/volumes/detail", params=params).status_code == 400


def test_with_count_since_3_45(api: Api, three: list[dict[str, Any]]) -> None:
    params = {"with_count": "true", "limit": 1}
    assert "count" not in api.get("/volumes", params=params).json()
    assert api.as_(api.token, "3.45").get("/volumes", params=params).json()["count"] == 3


def test_list_never_shows_another_projects_volumes(api: Api, three: list[dict[str, Any]],
                                                    set_conf: Any, app_factory: Any) -> None:
    set_conf("noauth_admin_projects", ["admin"])
    restricted = Api(app_factory(), OTHER_TOKEN)
    restricted.create_volume(name="bobs")
    assert _names(restricted.get("/volumes/detail")) == ["bobs"]
    assert _names(restricted.get("/volumes/detail", params={"all_tenants": 1})) == ["bobs"]
    assert _names(restricted.get("/volumes/detail", params={"all_tenants": 1, "project_id": "proj-a"})) == ["bobs"]


def test_admin_all_tenants_sees_every_project(api: Api, three: list[dict[str, Any]],
                                              set_conf: Any, app_factory: Any) -> None:
    set_conf("noauth_admin_projects", ["admin"])
    client = app_factory()
    Api(client, OTHER_TOKEN).create_volume(name="bobs")
    admin = Api(client, "root:admin")
    assert _names(admin.get("/volumes/detail")) == []
    assert sorted(_names(admin.get("/volumes/detail", params={"all_tenants": 1}))) == ["a", "b", "bobs", "c"]
    only_b = admin.get("/volumes/detail", params={"all_tenants": "true", "project_id": "proj-b"})
    assert _names(only_b) == ["bobs"]
    assert only_b.json()["volumes"][0]["os-vol-host-attr:host"] is None


def test_volume_summary_counts_the_projects_volumes_from_3_12(api: Api) -> None:
    api.create_volume(2, metadata={"tier": "gold"})
    api.create_volume(3, metadata={"tier": "silver", "app": "db"})
    api.as_(OTHER_TOKEN).create_volume(5)
    assert api.as_(api.token, "3.11").get("/volumes/summary").status_code == 404
    summary = api.as_(api.token, "3.12").get("/volumes/summary").json()["volume-summary"]
    assert summary == {"total_size": 5, "total_count": 2}
    summary = api.as_(api.token, "3.36").get("/volumes/summary").json()["volume-summary"]
    assert summary["metadata"] == {"app": ["db"], "tier": ["gold", "silver"]}
    everyone = api.as_(api.token, "3.12").get("/volumes/summary", params={"all_tenants": "1"}).json()
    assert everyone["volume-summary"] == {"total_size": 10, "total_count": 3}


def test_next_link_keeps_the_project_id_when_the_request_url_had_it(api: Api, three: list[dict[str, Any]]) -> None:
    first = api.get("/proj-a/volumes", params={"limit": 2}).json()
    assert urlparse(first["volumes_links"][0]["href"]).path == "/v3/proj-a/volumes"
