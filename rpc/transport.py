"""oslo.messaging plumbing: one transport per process, targets, clients and servers.

``fake://`` (the embedded default) keeps every message inside the process, which is why
the transport is shared: oslo's fake driver delivers only between users of one transport.
oslo.messaging is imported, and its options registered, when the first client or server is made
(``rpc.options``): a process that sends and serves nothing never loads it.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from oslo_config import cfg

from rpc import options

if TYPE_CHECKING:
    import oslo_messaging as messaging

SCHEDULER_TOPIC = "ember-scheduler"
VOLUME_TOPIC = "ember-volume"
BACKUP_TOPIC = "ember-backup"
RPC_VERSION = "1.0"

_transport: messaging.Transport | None = None
_lock = threading.Lock()


def transport(conf: cfg.ConfigOpts = cfg.CONF) -> messaging.Transport:
    global _transport
    with _lock:
        if _transport is None:
            import oslo_messaging as messaging

            options.register(conf)
            _transport = messaging.get_rpc_transport(conf)
        return _transport


def cleanup() -> None:
    global _transport
    with _lock:
        if _transport is not None:
            _transport.cleanup()
        _transport = None


def client(topic: str, *, server: str | None = None, fanout: bool = False,
           timeout_s: int | None = None, conf: cfg.ConfigOpts = cfg.CONF) -> messaging.RPCClient:
    import oslo_messaging as messaging

    from rpc.serializer import ContextSerializer

    target = messaging.Target(topic=topic, server=server, fanout=fanout, version=RPC_VERSION)
    return messaging.get_rpc_client(transport(conf), target, serializer=ContextSerializer(),
                                    timeout=timeout_s or conf.rpc_response_timeout_s)


def server(topic: str, *, server_name: str, endpoints: Sequence[Any],
           conf: cfg.ConfigOpts = cfg.CONF) -> messaging.MessageHandlingServer:
    import oslo_messaging as messaging

    from rpc.serializer import ContextSerializer

    target = messaging.Target(topic=topic, server=server_name, version=RPC_VERSION)
    return messaging.get_rpc_server(transport(conf), target, list(endpoints), executor="threading",
                                    serializer=ContextSerializer(), access_policy=messaging.ExplicitRPCAccessPolicy)
