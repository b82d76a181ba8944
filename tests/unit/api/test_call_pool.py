"""Requests that wait for a volume service run on a bounded pool of their own (api.call_pool)."""

from __future__ import annotations

import threading

import anyio
import anyio.lowlevel
import orjson
import pytest
from anyio import to_thread

from api import routes
from api.call_pool import CallPool
from api.spec import RouteSpec, _calls_service
from rpc.errors import ServiceUnavailable


def test_a_full_pool_queues_then_refuses_and_leaves_the_default_threads_free() -> None:
    release = threading.Event()
    running = threading.Event()
    outcomes: list[str] = []

    def waits_on_a_service() -> str:
        running.set()
        release.wait()
        return "answered"

    async def scenario() -> None:
        pool = CallPool(threads=1, queue=1)

        async def call() -> None:
            try:
                outcomes.append(await pool.run(waits_on_a_service))
            except ServiceUnavailable as error:
                outcomes.append(f"refused: {error}")

        async with anyio.create_task_group() as tasks:
            tasks.start_soon(call)                   # takes the pool's one thread
            await to_thread.run_sync(running.wait)  # (a default thread: still free)
            tasks.start_soon(call)                   # waits in the queue
            await anyio.lowlevel.checkpoint()
            await call()                             # finds the queue full
            assert len(outcomes) == 1 and outcomes[0].startswith("refused")
            assert await to_thread.run_sync(lambda: "listed") == "listed"  # other requests go on
            release.set()
        assert outcomes[1:] == ["answered", "answered"]

    anyio.run(scenario)


def _route(name: str) -> RouteSpec:
    (spec,) = [r for r in routes.ALL if r.name == name]
    return spec


@pytest.mark.parametrize(("route", "body", "pooled"), [
    ("create_attachment", {"attachment": {"volume_uuid": "v"}}, True),
    ("update_attachment", {"attachment": {"connector": {}}}, True),
    ("delete_attachment", None, True),
    ("volume_action", {"os-initialize_connection": {"connector": {}}}, True),
    ("volume_action", {"os-terminate_connection": {"connector": {}}}, True),
    ("volume_action", {"os-detach": {}}, True),
    ("volume_action", {"os-force_detach": {}}, True),
    ("volume_action", {"os-extend": {"new_size": 2}}, False),
    ("volume_action", {"os-detach": {}, "os-extend": {}}, False),  # a 400, from the default threads
    ("list_volumes", None, False),
    ("healthcheck", None, False),
])
def test_the_route_table_says_which_requests_wait_for_a_volume_service(route: str, body: object,
                                                                        pooled: bool) -> None:
    raw = b"" if body is None else orjson.dumps(body)
    assert _calls_service(_route(route), raw) is pooled


def test_a_body_that_is_not_json_is_left_to_the_default_threads() -> None:
    assert _calls_service(_route("volume_action"), b"{not json") is False
