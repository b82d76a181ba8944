"""Errors of the messaging layer.

RpcError
└── ServiceUnavailable   no service answered in time, or the broker refused the message

Its text is what a caller of the API may read (it names no host); ``detail`` says which
service or broker did not answer, for the log and for admins.
"""

from __future__ import annotations


class RpcError(Exception):
    def __init__(self, message: str, *, detail: str | None = None) -> None:
        super().__init__(message)
        self.detail = detail or message


class ServiceUnavailable(RpcError):
    pass
