"""The active/passive life of one backend's volume service: campaign, serve while the lease holds, step down.

A standby consumes nothing and calls no driver: it campaigns every ``standby_poll_s``. The
winner gets a new epoch, starts the backend's RPC server (casts that waited in the quorum queue
arrive now) and runs takeover recovery on a thread of its own. The active renews every quarter
of the lease; when a renewal fails, or the lease's deadline passes without one, it stops
consuming and acting at once and goes back to campaigning. A clean stop (SIGTERM) stops
acting, lets the operations it runs land (briefly), releases the lease — a standby takes over
within its poll interval — and then stops consuming. If the supervising thread dies of an
unexpected error, it says so (``on_death``): the process must then end, not live on as a standby
that never campaigns.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any, Protocol

from common.service_status import ACTIVE, STANDBY
from volume.election import Elector, Lease, Unreachable
from volume.manager import VolumeManager

log = logging.getLogger(__name__)


class RpcServer(Protocol):
    def start(self) -> None: ...

    def stop(self) -> None: ...

    def wait(self) -> None: ...


class BackendSupervisor:
    def __init__(self, *, manager: VolumeManager, elector: Elector, make_server: Callable[[], RpcServer],
                 recover: Callable[[], Any], standby_poll_s: float, drain_s: float = 5.0) -> None:
        self._manager = manager
        self._elector = elector
        self._make_server = make_server
        self._recover = recover
        self._poll_s = standby_poll_s
        self._renew_s = elector.ttl_s / 4
        self._retry_s = min(0.1, self._renew_s)
        self._drain_s = drain_s
        self._on_change: Callable[[], Any] = lambda: None
        self._on_death: Callable[[], Any] = lambda: None
        self._server: RpcServer | None = None
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self.takeovers = 0

    def on_change(self, callback: Callable[[], Any]) -> None:
        """Call ``callback`` when the role changes (a heartbeat, so that os-services shows it at once)."""
        self._on_change = callback

    def on_death(self, callback: Callable[[], Any]) -> None:
        """Call ``callback`` (once) if the supervising thread dies of an unexpected error."""
        self._on_death = callback

    @property
    def backend_host(self) -> str:
        return self._manager.identity.backend_host

    @property
    def role(self) -> str:
        return ACTIVE if self._manager.acting() else STANDBY

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name=f"ha:{self.backend_host}", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            self._supervise()
        except BaseException:  # whatever it was, nothing campaigns or renews for this backend any more
            log.critical("%s: the HA supervisor died; this process ends so that it is restarted", self.backend_host,
                         exc_info=True)
            self._on_death()

    def _supervise(self) -> None:
        while not self._stopping.is_set():
            lease = self._manager.lease
            if lease is None:
                if self._server is not None:  # the manager was fenced: a takeover passed our epoch
                    self._step_down()
                self._campaign()
                self._stopping.wait(self._poll_s)
                continue
            pause = self._renew_s if self._keep(lease) else self._retry_s
            self._stopping.wait(min(pause, max(lease.deadline - time.monotonic(), 0)))

    def _campaign(self) -> None:
        try:
            lease = self._elector.campaign(self.backend_host, self._manager.identity.service_host)
        except Exception as error:  # noqa: BLE001 - a failed campaign is a lost one; the next poll tries again
            log.warning("%s: campaign failed: %s", self.backend_host, error)
            return
        if lease is not None and not self._stopping.is_set():
            self._become_active(lease)

    def _become_active(self, lease: Lease) -> None:
        self._manager.lease = lease
        self.takeovers += 1
        log.info("%s: active under epoch %d", self.backend_host, lease.epoch)
        server = self._make_server()
        server.start()
        self._server = server
        threading.Thread(target=self._recover_now, name=f"takeover:{self.backend_host}", daemon=True).start()

    def _recover_now(self) -> None:
        self._changed()
        try:
            self._manager.report_pools()  # the schedulers see the backend at once, not at the next report
            self._recover()
        except Exception:  # a failed pass is repeated by the periodic recovery
            log.exception("%s: takeover recovery failed", self.backend_host)

    def _keep(self, lease: Lease) -> bool:
        """Renew the lease; False when the renewal should be tried again soon (the backend did not answer)."""
        renewed: Lease | None = None
        if lease.valid():
            try:
                renewed = self._elector.renew(lease)
            except Unreachable as error:
                log.warning("%s: cannot renew the lease of epoch %d yet: %s", self.backend_host, lease.epoch, error)
                return False  # the lease holds until its deadline; valid() stops us acting past it
            except Exception as error:  # noqa: BLE001 - any other failure to renew is a lost lease
                log.warning("%s: renewing the lease failed: %s", self.backend_host, error)
        if renewed is not None and renewed.valid():
            self._manager.lease = renewed
            return True
        log.warning("%s: lease of epoch %d lost; stepping down to standby", self.backend_host, lease.epoch)
        self._step_down()
        return True

    def _step_down(self) -> None:
        self._manager.lease = None  # acting() is false from here: no new claim, no landing
        server, self._server = self._server, None
        if server is not None:  # stop consuming (it can take seconds); what still runs is fenced by the epoch
            threading.Thread(target=_stop_server, args=(server,), name=f"drain:{self.backend_host}",
                             daemon=True).start()
        self._changed()

    def _changed(self) -> None:
        try:
            self._on_change()
        except Exception as error:  # noqa: BLE001 - the periodic heartbeat says it soon enough
            log.warning("%s: reporting the new role failed: %s", self.backend_host, error)

    def stop(self) -> None:
        """A clean hand-over: stop acting, let running work land (briefly), release the lease, then
        stop consuming — what still arrives meanwhile goes back to the queue (``VolumeEndpoint``).

        Releasing first keeps the hand-over within the standby's poll interval: stopping an
        oslo.messaging server can take seconds. Work still running after ``drain_s`` is handed
        back: its landing is fenced once the standby takes over, and the standby redoes it.
        """
        self._stopping.set()
        lease = self._manager.lease
        server, self._server = self._server, None
        began = time.monotonic()
        self._manager.lease = None
        self._manager.wait_idle(timeout_s=self._drain_s)
        if lease is not None:
            try:  # conditional on still holding it: a no-op if a standby took over meanwhile
                self._elector.release(lease)
                log.info("%s: released the lease of epoch %d after %.2fs", self.backend_host, lease.epoch,
                         time.monotonic() - began)
            except Exception as error:  # noqa: BLE001 - it expires by itself then
                log.warning("%s: releasing the lease failed: %s", self.backend_host, error)
        if server is not None:
            server.stop()
            server.wait()
        if self._thread is not None:
            self._thread.join(2)


def _stop_server(server: RpcServer) -> None:
    server.stop()
    server.wait()
