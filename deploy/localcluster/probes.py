"""Cheap health probes on loopback: a TCP connect, an HTTP GET, an AMQP protocol greeting."""

from __future__ import annotations

import socket
import urllib.error
import urllib.request


def tcp_open(port: int, *, host: str = "127.0.0.1", timeout_s: float = 0.5) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout_s):
            return True
    except OSError:
        return False


def http_get(url: str, *, timeout_s: float = 2.0) -> tuple[int, str]:
    """Status and body of a GET; status 0 when nothing answered."""
    try:
        with urllib.request.urlopen(url, timeout=timeout_s) as resp:
            return resp.status, resp.read().decode(errors="replace")
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode(errors="replace")
    except (OSError, ValueError):
        return 0, ""


def amqp_ping(port: int, *, timeout_s: float = 1.0) -> bool:
    """True when a broker answers the AMQP 0-9-1 header with a method frame (Connection.Start).

    RabbitMQ opens its listener only once the node has booted, and closes it on stop_app.
    """
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=timeout_s) as sock:
            sock.sendall(b"AMQP\x00\x00\x09\x01")
            head = sock.recv(7)
    except OSError:
        return False
    return len(head) == 7 and head[0] == 1
