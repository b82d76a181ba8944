"""/v3/resource_filters (3.33): each list's filter keys, as the route table declares them."""

from __future__ import annotations

from api.routes.resource_filters import LISTS
from tests.unit.api.conftest import Api, make_available


def test_filters_of_each_resource(api: Api) -> None:
    new = api.as_(api.token, "3.33")
    listed = {r["resource"]: r["filters"] for r in new.get("/resource_filters").json()["resource_filters"]}
    assert set(listed) == set(LISTS)
    assert {"name", "status", "availability_zone", "bootable", "metadata"} <= set(listed["volume"])
    assert not {"limit", "marker", "sort", "with_count", "all_tenants"} & set(listed["volume"])
    assert new.get("/resource_filters", params={"resource": "snapshot"}).json() == {
        "resource_filters": [{"resource": "snapshot", "filters": listed["snapshot"]}]}
    assert new.get("/resource_filters", params={"resource": "widget"}).json() == {"resource_filters": []}
    assert api.as_(api.token, "3.32").get("/resource_filters").status_code == 404


def test_every_filter_shown_for_volumes_narrows_the_list(api: Api) -> None:
    """What resource_filters names, the list takes: each key given a value no volume has finds none."""
    volume = api.create_volume(1, name="v1", metadata={"k": "v"})
    make_available(volume["id"])
    new = api.as_(api.token, "3.33")
    (entry,) = new.get("/resource_filters", params={"resource": "volume"}).json()["resource_filters"]
    misses = {"bootable": "true", "metadata": '{"k": "other"}'}
    for key in entry["filters"]:
        assert len(new.get("/volumes", params={key: misses.get(key, "no-such")}).json()["volumes"]) == 0, key
    assert len(new.get("/volumes").json()["volumes"]) == 1
