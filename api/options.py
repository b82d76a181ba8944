"""Options of the REST api service: where it listens, how big a page, a body or metadata may be, proxies."""

from __future__ import annotations

from oslo_config import cfg

API_OPTS = [
    cfg.StrOpt("osapi_volume_listen", default="127.0.0.1", help="Address the volume API listens on."),
    cfg.PortOpt("osapi_volume_listen_port", default=8776, help="Port the volume API listens on."),
    cfg.IntOpt("osapi_volume_workers", default=1, min=1, help="Worker processes of the volume API."),
    cfg.IntOpt("osapi_max_limit", default=1000, min=1,
               help="Most items a collection returns in one response, whatever limit the client asks."),
    # Cinder limits each metadata key and value to 255 characters but not their number, so merges could
    # grow a volume's metadata without end (and every volume body and list page with it). 64 items is far
    # more than OpenStack's clients set (Nova, the CSI driver and Tempest use a handful), fits in one request
    # body, and bounds a volume or snapshot body to about 33 kB of metadata.
    cfg.IntOpt("max_metadata_items", default=64, min=1,
               help="Most metadata items one volume or snapshot may hold; a create or change that would give "
                    "it more is answered 400 and changes nothing."),
    cfg.IntOpt("attachment_call_timeout_s", default=20, min=1,
               help="Seconds an attachment request (connect, disconnect) waits for the backend's active volume "
                    "service; past it the client gets a retryable 503 and nothing is left half-made."),
    cfg.IntOpt("service_call_threads", default=20, min=1,
               help="Threads of each api process that run the requests waiting for a volume service's answer "
                    "(attach, detach, os-initialize_connection, os-terminate_connection, ...), apart from the "
                    "threads of every other request: however long a backend takes, listings and health "
                    "checks keep their own."),
    cfg.IntOpt("service_call_queue", default=200, min=0,
               help="Requests that wait for one of the service_call_threads; past this many more, an api "
                    "process answers a new one 503 at once (retryable)."),
]


# Cinder reads these from oslo.middleware's sizelimit and http_proxy_to_wsgi filters; the same names and group
MIDDLEWARE_OPTS = [
    cfg.IntOpt("max_request_body_size", default=114688, min=1,
               help="Largest request body the API accepts, in bytes; a larger one is answered 413."),
    cfg.BoolOpt("enable_proxy_headers_parsing", default=False,
                help="Build the links in responses from the Forwarded / X-Forwarded-Proto / X-Forwarded-Host / "
                     "X-Forwarded-Prefix headers. Set it only behind a proxy that sets (or removes) these "
                     "headers itself: otherwise any client can make the API answer links to another host."),
]
BODY_OPTS = MIDDLEWARE_OPTS  # the name launch/opts.py lists them by for the sample config


def register(conf: cfg.ConfigOpts) -> None:
    conf.register_opts(API_OPTS)
    conf.register_opts(MIDDLEWARE_OPTS, group="oslo_middleware")
    # [oslo_policy] with ember's defaults; the sample config lists it through oslo.policy's generator namespace.
    # Imported here: only the api processes need oslo.policy.
    from api.policies import enforcer

    enforcer.set_defaults(conf)


def register_auth(conf: cfg.ConfigOpts) -> None:
    """Once the file is parsed: [keystone_authtoken] as keystonemiddleware declares it (Cinder's section), when
    ``auth_strategy = keystone`` only. keystonemiddleware (and keystoneauth, requests, ...: ~12 MiB resident)
    is then imported by an api that validates Keystone tokens, never by a noauth one."""
    from api.auth import KEYSTONE

    if conf.auth_strategy == KEYSTONE:
        from api import keystone

        keystone.register(conf)
