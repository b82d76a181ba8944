"""Start processes in their own session, remember them by pid file, and signal them by pid only.

A pid file holds the session leader's pid and its start time (from /proc), so a pid that the
kernel reused for some other process is never signalled.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path


class LaunchError(Exception):
    """A component did not start or did not become healthy; the message names it and shows its log."""


@dataclass(frozen=True)
class ProcStat:
    pid: int
    comm: str
    state: str
    pgrp: int
    session: int
    start_ticks: int


def proc_stat(pid: int) -> ProcStat | None:
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return None
    # comm may contain spaces and parentheses: split at the last ')'
    head, _, tail = raw.rpartition(")")
    comm = head.partition("(")[2]
    fields = tail.split()
    return ProcStat(pid=pid, comm=comm, state=fields[0], pgrp=int(fields[2]), session=int(fields[3]),
                    start_ticks=int(fields[19]))


def _running(stat: ProcStat | None) -> bool:
    return stat is not None and stat.state not in ("Z", "X")


@dataclass(frozen=True)
class PidRecord:
    """A session leader started by the launcher; its pid is also the group and session id."""

    pid: int
    start_ticks: int
    argv: tuple[str, ...]
    started_at: float

    def leader_alive(self) -> bool:
        stat = proc_stat(self.pid)
        return _running(stat) and stat is not None and stat.start_ticks == self.start_ticks

    def members(self) -> list[ProcStat]:
        """Live processes of this session, the leader included (it may have exited already)."""
        found = []
        for entry in os.scandir("/proc"):
            if not entry.name.isdigit():
                continue
            stat = proc_stat(int(entry.name))
            # a process older than our leader sits in a session whose id was reused: not ours
            if (_running(stat) and stat is not None and stat.session == self.pid and stat.pgrp == self.pid
                    and stat.start_ticks >= self.start_ticks):
                found.append(stat)
        return found

    def alive(self) -> bool:
        return self.leader_alive() or bool(self.members())

    def signal_group(self, sig: int) -> None:
        if not self.alive():
            return
        try:
            os.killpg(self.pid, sig)
        except ProcessLookupError:
            pass


def read_record(pidfile: Path) -> PidRecord | None:
    try:
        data = json.loads(pidfile.read_text())
    except (FileNotFoundError, ValueError):
        return None
    return PidRecord(pid=int(data["pid"]), start_ticks=int(data["start_ticks"]), argv=tuple(data["argv"]),
                     started_at=float(data["started_at"]))


def spawn(argv: Sequence[str], *, pidfile: Path, log: Path, env: Mapping[str, str] | None = None,
          cwd: Path | None = None) -> PidRecord:
    """Start ``argv`` in a new session (setsid) with output appended to ``log``; write ``pidfile``."""
    log.parent.mkdir(parents=True, exist_ok=True)
    with open(log, "ab") as out:
        out.write(f"\n--- {time.strftime('%Y-%m-%d %H:%M:%S')} start: {' '.join(argv)}\n".encode())
        out.flush()
        proc = subprocess.Popen(list(argv), stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                                env=dict(env) if env is not None else None, cwd=cwd, start_new_session=True)
    stat = proc_stat(proc.pid)
    record = PidRecord(pid=proc.pid, start_ticks=stat.start_ticks if stat else 0, argv=tuple(argv),
                       started_at=time.time())
    pidfile.write_text(json.dumps({"pid": record.pid, "start_ticks": record.start_ticks,
                                   "argv": list(record.argv), "started_at": record.started_at}) + "\n")
    # the launcher exits long before its children: let init reap them, never leave zombies here
    proc.returncode = 0
    return record


def wait_until(check: Callable[[], bool], *, timeout_s: float, interval_s: float = 0.25,
               abort: Callable[[], str | None] | None = None) -> bool:
    """Poll ``check`` until it is true or ``timeout_s`` passes; ``abort`` returns a reason to stop early."""
    deadline = time.monotonic() + timeout_s
    while True:
        if check():
            return True
        if abort is not None:
            reason = abort()
            if reason:
                raise LaunchError(reason)
        if time.monotonic() >= deadline:
            return False
        time.sleep(interval_s)


def stop_group(record: PidRecord | None, *, sig: int = signal.SIGTERM, grace_s: float = 30.0) -> None:
    """Send ``sig`` to the session's group, wait up to ``grace_s``, then SIGKILL what is left."""
    if record is None or not record.alive():
        return
    record.signal_group(sig)
    if not wait_until(lambda: not record.alive(), timeout_s=grace_s, interval_s=0.1):
        record.signal_group(signal.SIGKILL)
        wait_until(lambda: not record.alive(), timeout_s=10, interval_s=0.1)


def tail(path: Path, lines: int = 25) -> str:
    try:
        text = path.read_text(errors="replace")
    except FileNotFoundError:
        return f"({path} does not exist)"
    return "\n".join(text.splitlines()[-lines:])
