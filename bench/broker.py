"""The broker's own share of a request: one oslo.messaging cast (publish to a consumer's handler) and
one call (there and back through the reply queue) on the machine's RabbitMQ, with ember's queues as
quorum queues and as classic ones, with nothing else in the handler.

  python -m bench.broker [--count 200]

A vhost of its own is made for each kind and deleted afterwards.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import threading
import time
import uuid
from typing import Any

import oslo_messaging as messaging
from oslo_config import cfg

from bench.load import percentile
from bench.stack import RABBIT, _rabbitmqctl
from rpc import options as rpc_options

_parsed: list[bool] = []


class _Endpoint:
    target = messaging.Target(version="1.0")

    def __init__(self) -> None:
        self.arrived: dict[str, float] = {}
        self.event = threading.Event()

    def hop(self, ctx: dict[str, Any], tag: str) -> None:
        self.arrived[tag] = time.perf_counter()
        self.event.set()

    def echo(self, ctx: dict[str, Any], tag: str) -> str:
        return tag


def measure(vhost: str, *, quorum: bool, count: int) -> dict[str, float]:
    conf = cfg.CONF  # oslo.messaging registers some of its options on the global one only
    rpc_options.register(conf)
    if not _parsed:  # parsed once per process
        conf([], project="ember-bench", default_config_files=[])
        _parsed.append(True)
    conf.set_override("transport_url", f"rabbit://{RABBIT}/{vhost}")
    conf.set_override("rabbit_quorum_queue", quorum, group="oslo_messaging_rabbit")
    transport = messaging.get_rpc_transport(conf)
    topic = f"bench-hop-{'quorum' if quorum else 'classic'}"
    endpoint = _Endpoint()
    server = messaging.get_rpc_server(transport, messaging.Target(topic=topic, server="hop", version="1.0"),
                                      [endpoint], executor="threading")
    server.start()
    client = messaging.get_rpc_client(transport, messaging.Target(topic=topic, server="hop", version="1.0"),
                                      timeout=30)
    try:
        client.call({}, "echo", tag="warm-up")
        casts, calls = [], []
        for i in range(count):
            tag = str(i)
            endpoint.event.clear()
            sent = time.perf_counter()
            client.cast({}, "hop", tag=tag)
            if not endpoint.event.wait(10):
                raise RuntimeError(f"cast {i} did not arrive")
            casts.append(endpoint.arrived[tag] - sent)
            began = time.perf_counter()
            client.call({}, "echo", tag=tag)
            calls.append(time.perf_counter() - began)
    finally:
        server.stop()
        server.wait()
        transport.cleanup()
    return {"cast_p50_ms": statistics.median(casts) * 1000, "cast_p99_ms": percentile(casts, 99) * 1000,
            "call_p50_ms": statistics.median(calls) * 1000, "call_p99_ms": percentile(calls, 99) * 1000}


def run(count: int) -> dict[str, dict[str, float]]:
    results = {}
    for kind in ("quorum", "classic"):  # a vhost each: the exchange's durability differs
        vhost = f"ember_hop_{uuid.uuid4().hex[:8]}"
        _rabbitmqctl("add_vhost", vhost)
        _rabbitmqctl("set_permissions", "-p", vhost, RABBIT.split(":")[0], ".*", ".*", ".*")
        try:
            results[kind] = measure(vhost, quorum=kind == "quorum", count=count)
        finally:
            _rabbitmqctl("delete_vhost", vhost, check=False)
    return results


def table(result: dict[str, dict[str, float]]) -> str:
    lines = [f"{'queues':<10}{'cast p50 / p99':>22}{'call p50 / p99':>22}"]
    for kind, figures in result.items():
        lines.append(f"{kind:<10}{figures['cast_p50_ms']:>12.2f} / {figures['cast_p99_ms']:>5.2f} ms"
                     f"{figures['call_p50_ms']:>12.2f} / {figures['call_p99_ms']:>5.2f} ms")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=200)
    args = parser.parse_args(argv)
    print(table(run(args.count)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
