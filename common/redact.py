"""Keeping secrets out of text that leaves a process: log lines, tracebacks, error messages.

``mask`` replaces secrets the caller knows (the command runner's CHAP passwords); ``redact``
replaces whatever looks like one: CHAP credentials ("CHAP <user> <secret>", Cinder's
provider_auth), password fields (``auth_password``, ``discovery_auth_password``, ``chap_password``,
as JSON, a repr or ``key=value``), tgtadm's ``--password X`` and the password of a URL. The log
filter of ``common.log`` runs ``redact`` on every record.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

MASK = "***"

# the connection_info fields (os-brick's names) that hold a CHAP secret
SECRET_FIELDS = frozenset({"auth_password", "discovery_auth_password"})

_END = r"""[^\s'",;)\]}]"""
_PATTERNS = (
    # "CHAP <user> <secret>": the secret only, so that a log line still says which account; a
    # secret has 8 characters at least (ember's have 16), which spares most prose about CHAP
    re.compile(rf"""(\bCHAP\s+[^\s'"]+\s+)({_END}{{8,}})"""),
    re.compile(rf"""(\w*password['"]?\s*[:=]\s*['"]?)({_END}+)""", re.IGNORECASE),
    # on a command line, or in the repr of its argv list
    re.compile(rf"""(--password['"]?(?:=|\s+|,\s*)['"]?)({_END}+)"""),
    re.compile(r"(\b[a-z][a-z0-9+.-]*://[^:/\s@]+:)([^@\s/]+)(?=@)", re.IGNORECASE),
)

# every pattern's text contains one of these
_TRIGGERS = ("chap", "password", "://")


def mask(text: str, secrets: Iterable[str]) -> str:
    """``text`` with every one of ``secrets`` replaced by ***."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, MASK)
    return text


def redact(text: str) -> str:
    """``text`` with every secret the patterns above recognise replaced by ***."""
    lowered = text.lower()
    if not any(trigger in lowered for trigger in _TRIGGERS):  # most log lines: no pattern can match
        return text
    for pattern in _PATTERNS:
        text = pattern.sub(lambda match: match.group(1) + MASK, text)
    return text


def chap_credentials(provider_auth: str | None) -> tuple[str, str] | None:
    """(user, secret) of Cinder's ``provider_auth`` ("CHAP <user> <secret>"); None for anything else."""
    parts = (provider_auth or "").split()
    return (parts[1], parts[2]) if len(parts) == 3 and parts[0] == "CHAP" else None
