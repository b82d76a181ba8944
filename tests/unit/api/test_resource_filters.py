"""/v3/resource_filters (3.33): each list's filter keys, as the route table declares them."""

from __future__ import annotations

from typing import Any

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


def test_from_3_33_a_filter_a_list_does_not_take_is_a_400_except_to_the_admin(set_conf: Any, app_factory: Any) -> None:
    set_conf("noauth_admin_projects", ["admin"])
    client = app_factory()
    user, admin = Api(client, "alice:proj-a", "3.33"), Api(client, "root:admin", "3.33")
    user.create_volume(1, name="mine")
    for path in ("/volumes", "/volumes/detail", "/snapshots", "/backups", "/attachments", "/messages"):
        refused = user.get(path, params={"colour": "red"})
        assert refused.status_code == 400, path
        assert refused.json()["badRequest"]["message"] == "Invalid filters colour are found in query options."
        assert admin.get(path, params={"colour": "red"}).status_code == 200, path  # the admin: ignored
        assert user.as_(user.token, "3.32").get(path, params={"colour": "red"}).status_code == 200, path
    # what resource_filters names (and paging, and all_tenants) is taken
    assert len(user.get("/volumes", params={"name": "mine", "limit": "5", "all_tenants": "1"}).json()["volumes"]) == 1
