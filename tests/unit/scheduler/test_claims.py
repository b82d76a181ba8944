"""Active/active schedulers share no memory: capacity is claimed in the DB, so none over-commits."""

from __future__ import annotations

import threading

from common.context import RequestContext
from db import api as db
from scheduler.manager import SchedulerManager
from scheduler.pool_cache import PoolCache
from volume.states.volumes import Status


class RecordingVolumeClient:
    def __init__(self) -> None:
        self.casts: list[tuple[str, str]] = []
        self._lock = threading.Lock()

    def create_volume(self, ctx: RequestContext, backend_host: str, *, volume_id: str) -> None:
        with self._lock:
            self.casts.append((backend_host, volume_id))


def _pool(name: str, total_gb: float) -> dict[str, object]:
    return {"name": name, "volume_backend_name": name.split("@")[1].split("#")[0], "availability_zone": "nova",
            "total_capacity_gb": total_gb, "free_capacity_gb": total_gb, "reserved_percentage": 0,
            "max_over_subscription_ratio": 1.0, "thin_provisioning_support": False, "capabilities": {}}


def _one_pool_and_a_volume() -> str:
    db.pool_report("h@b", [_pool("h@b#p", 10)])
    return db.volume_create(project_id="p", user_id="u", size_gb=1, status=str(Status.CREATING),
                            availability_zone="nova").id


def _scheduler(client: RecordingVolumeClient, *, ttl_s: float = 0) -> SchedulerManager:
    return SchedulerManager(pool_cache=PoolCache(ttl_s=ttl_s, fresh_within_s=60),
                            volume_client=client)  # type: ignore[arg-type]


def test_two_schedulers_never_place_more_than_a_pool_holds(sqlite_db: str) -> None:
    db.pool_report("h@small", [_pool("h@small#p", 5)])  # room for exactly K=5 one-GB volumes
    db.pool_report("h@big", [_pool("h@big#p", 2)])      # and 2 more elsewhere
    db.quota_set("p", {"volumes": -1})
    volumes = [db.volume_create(project_id="p", user_id="u", size_gb=1, status=str(Status.CREATING),
                                availability_zone="nova") for _ in range(12)]
    client = RecordingVolumeClient()
    # long-lived caches, as in two processes that read the pools once
    schedulers = [SchedulerManager(pool_cache=PoolCache(ttl_s=3600, fresh_within_s=3600),
                                   volume_client=client) for _ in range(2)]  # type: ignore[arg-type]
    ctx = RequestContext(user_id="u", project_id="p")
    barrier = threading.Barrier(len(volumes))

    def place(i: int) -> None:
        barrier.wait()
        schedulers[i % 2].create_volume(ctx, volumes[i].id)

    threads = [threading.Thread(target=place, args=(i,)) for i in range(len(volumes))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    placed = [db.volume_get(v.id) for v in volumes]
    on_small = [v for v in placed if v.host == "h@small#p"]
    on_big = [v for v in placed if v.host == "h@big#p"]
    failed = [v for v in placed if v.status == Status.ERROR]
    assert len(on_small) == 5 and len(on_big) == 2 and len(failed) == 5
    no_backend = "schedule allocate volume: Could not find any available weighted backend."
    assert {v.status_reason for v in failed} == {no_backend}
    assert {p.name: p.allocated_capacity_gb for p in db.pool_list()} == {"h@big#p": 2.0, "h@small#p": 5.0}
    assert len(client.casts) == 7 and len({vid for _, vid in client.casts}) == 7


def test_a_redelivered_request_places_the_volume_once(sqlite_db: str) -> None:
    volume_id = _one_pool_and_a_volume()
    client = RecordingVolumeClient()
    scheduler = _scheduler(client)
    ctx = RequestContext(user_id="u", project_id="p")
    scheduler.create_volume(ctx, volume_id)
    scheduler.create_volume(ctx, volume_id)
    assert client.casts == [("h@b", volume_id)]
    assert db.pool_list()[0].allocated_capacity_gb == 1.0


def test_a_restarted_scheduler_places_at_once_from_the_db(sqlite_db: str) -> None:
    volume_id = _one_pool_and_a_volume()
    fresh = _scheduler(RecordingVolumeClient(), ttl_s=60)  # has never had a capability report
    fresh.create_volume(RequestContext(user_id="u", project_id="p"), volume_id)
    assert db.volume_get(volume_id).host == "h@b#p"


def test_unplaced_volumes_are_taken_over(sqlite_db: str) -> None:
    volume_id = _one_pool_and_a_volume()
    client = RecordingVolumeClient()
    scheduler = _scheduler(client)
    assert scheduler.reschedule_unplaced(older_than_s=3600) == 0
    assert scheduler.reschedule_unplaced(older_than_s=0) == 1
    assert client.casts == [("h@b", volume_id)]
