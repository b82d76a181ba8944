"""Registers oslo.messaging's own options (transport_url, [oslo_messaging_rabbit], …).

``rpc.transport`` registers them when it makes the process's transport, the first time the process
sends or serves a message, not at start: a standby volume service and an idle backup service never
import oslo.messaging and its drivers (kombu, amqp, eventlet through oslo.service: ~12 MiB resident).
oslo.config reads an option registered after the file was parsed from the parsed file, as at start.

The embedded default is ``fake://``: every service in one process, no broker.
"""

from __future__ import annotations

from oslo_config import cfg

EMBEDDED_TRANSPORT_URL = "fake://"


def register(conf: cfg.ConfigOpts) -> None:
    """oslo.messaging's options with ember's defaults; registering them again changes nothing."""
    import oslo_messaging as messaging
    from oslo_messaging import opts as messaging_opts

    messaging.set_transport_defaults(control_exchange="ember")
    for group, options in messaging_opts.list_opts():
        conf.register_opts(list(options), group=group)
    conf.set_default("transport_url", EMBEDDED_TRANSPORT_URL)
    # oslo's default of 64 threads, each wanting a DB connection, would starve a volume service's
    # lease renewal of [database] max_pool_size + max_overflow (20) connections under a burst
    conf.set_default("executor_thread_pool_size", 16)
