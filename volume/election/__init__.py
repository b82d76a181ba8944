"""Who is the active volume service of a backend: one small interface, three backends.

Chosen by ``[coordination] backend_url``: ``sql://`` (the default; a lease row per backend in
ember's own database), ``etcd3+http://h1:2379,h2:2379,...`` (an etcd lease and lock key per
backend) or ``consul://host:8500`` (a Consul session and KV lock per backend). It lives in
``volume/`` because only volume services elect and every backend keeps its epoch — the fencing
token — in ember's database, whichever backend holds the lock.
"""

from __future__ import annotations

from oslo_config import cfg

from volume.election.base import Elector, Lease, Unreachable

__all__ = ["Elector", "Lease", "Unreachable", "connect"]


def connect(conf: cfg.ConfigOpts) -> Elector:
    url: str = conf.coordination.backend_url
    ttl_s: float = conf.coordination.lease_ttl_s
    scheme = url.partition("://")[0]
    if scheme == "sql":
        from volume.election.sql import SqlElector

        return SqlElector(ttl_s=ttl_s)
    if scheme.startswith("etcd3"):
        from volume.election.etcd import EtcdElector

        return EtcdElector(url, ttl_s=ttl_s)
    if scheme == "consul":
        from volume.election.consul import ConsulElector

        return ConsulElector(url, ttl_s=ttl_s)
    raise ValueError(f"[coordination] backend_url = {url!r}: use sql://, etcd3+http://HOST:PORT[,...] or "
                     "consul://HOST:PORT")
