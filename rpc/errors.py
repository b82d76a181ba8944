"""Errors of the messaging layer.

RpcError
└── ServiceUnavailable   no service answered in time, or the broker refused the message
"""

from __future__ import annotations


class RpcError(Exception):
    pass


class ServiceUnavailable(RpcError):
    pass
