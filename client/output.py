"""What the ember CLI prints: ASCII tables in the openstack CLI's shape or JSON with --json;
errors and a hint on what to try next on stderr."""

from __future__ import annotations

import json
import sys
from collections.abc import Mapping, Sequence
from typing import Any, TextIO

from client.http import ApiFault, ClientError

# Cinder fields that say nothing to a person reading a table.
HIDDEN_FIELDS = frozenset({"links"})

# What to try next after an API fault with this code.
_HINTS = {
    406: "The endpoint does not support microversion 3.71; check that --os-endpoint points at ember.",
    413: "See what is left with `ember quota show` and `ember limits show`.",
    500: "The server logged the details under that request id.",
    503: "A service behind the API is not answering; check `ember service list`.",
}


def format_value(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, Mapping):
        return ", ".join(f"{k}='{format_value(v)}'" for k, v in sorted(value.items()))
    if isinstance(value, list | tuple):
        return "\n".join(json.dumps(item, sort_keys=True) if isinstance(item, Mapping) else format_value(item)
                         for item in value)
    return str(value)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def render_table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """A ``+---+`` bordered table; numeric columns are right-aligned, multi-line cells kept."""
    cells = [[format_value(v).splitlines() or [""] for v in row] for row in rows]
    widths = [len(h) for h in headers]
    for row in cells:
        for i, lines in enumerate(row):
            widths[i] = max(widths[i], *(len(line) for line in lines))
    right = [bool(rows) and all(_is_number(row[i]) or row[i] is None for row in rows)
             and any(_is_number(row[i]) for row in rows) for i in range(len(headers))]
    border = "+" + "+".join("-" * (w + 2) for w in widths) + "+"

    def line(parts: Sequence[str]) -> str:
        padded = (p.rjust(w) if r else p.ljust(w) for p, w, r in zip(parts, widths, right, strict=True))
        return "| " + " | ".join(padded) + " |"

    out = [border, line([h.ljust(w) for h, w in zip(headers, widths, strict=True)]), border]
    for row in cells:
        for k in range(max(len(lines) for lines in row)):
            out.append(line([lines[k] if k < len(lines) else "" for lines in row]))
    if rows:
        out.append(border)
    return "\n".join(out)


def print_rows(headers: Sequence[str], rows: Sequence[Sequence[Any]], *, stream: TextIO | None = None) -> None:
    print(render_table(headers, rows), file=stream or sys.stdout)


def print_record(record: Mapping[str, Any], *, stream: TextIO | None = None) -> None:
    """One resource as a Field | Value table, fields sorted by name."""
    rows = [(key, record[key]) for key in sorted(record) if key not in HIDDEN_FIELDS]
    print(render_table(("Field", "Value"), rows), file=stream or sys.stdout)


def print_json(data: Any, *, stream: TextIO | None = None) -> None:
    print(json.dumps(data, indent=2, sort_keys=True, default=str), file=stream or sys.stdout)


def confirm(message: str, *, as_json: bool = False, stream: TextIO | None = None) -> None:
    """Say what a command did: a line, or ``{"message": ...}`` with --json."""
    if as_json:
        print_json({"message": message}, stream=stream)
    else:
        print(message, file=stream or sys.stdout)


def print_error(exc: ClientError) -> None:
    """``ERROR: ...`` on stderr, and for some API faults a line on what to try next."""
    print(f"ERROR: {exc}", file=sys.stderr)
    if isinstance(exc, ApiFault) and exc.code in _HINTS:
        print(_HINTS[exc.code], file=sys.stderr)
