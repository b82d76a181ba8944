"""Idempotency-Key on POST: the first request runs and its answer is stored; a repeat gets that answer.

A repeat while the first still runs waits for it (a few seconds at most): for its answer, or
for its claim to grow old enough to take over, so a client retrying because its api worker died
gets the one result, never a refusal. A first request that failed (4xx/5xx) forgets its key so
that the client can simply retry. A create binds the key to its new resource in the same
transaction, so a first run that died after creating it is answered from that resource, never
by creating a second one. Should a run whose claim was taken over only have been slow, its
create loses (see db.api.idempotency).

Keeping the answer never turns a change that committed into an error: if it cannot be kept,
the client still gets it, and a retry is answered from the resource the first run created or,
for an answer kept without its body (too large, or the store failed), with a 409 that says so. A key is forgotten
``idempotency_key_ttl_s`` after its first use.
"""

from __future__ import annotations

import dataclasses
import logging
import time
import uuid

import anyio
from anyio import to_thread
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.errors import BadRequest, ConflictingRequest
from api.request import SCOPE_KEY
from db import api as db
from db.api.idempotency import TAKEOVER_AFTER
from db.records import IdempotencyClaim, IdempotentReply

log = logging.getLogger(__name__)

HEADER = "idempotency-key"
MAX_KEY = 255
_REPLAYED = (b"idempotency-replayed", b"true")
# a repeat waits this long at most for the first run; past TAKEOVER_AFTER it takes the claim over
WAIT_S = TAKEOVER_AFTER.total_seconds() + 1.0
POLL_S = 0.1


async def run(app: ASGIApp, scope: Scope, receive: Receive, send: Send, *, project_id: str, key: str) -> None:
    if not 1 <= len(key) <= MAX_KEY or not key.isprintable():
        raise BadRequest(f"The Idempotency-Key header must be 1 to {MAX_KEY} printable characters.")
    path = scope["path"]
    claim = IdempotencyClaim(project_id=project_id, key=key, claim_id=str(uuid.uuid4()))
    call = scope[SCOPE_KEY]
    scope = {**scope, SCOPE_KEY: dataclasses.replace(call, idempotency_claim=claim)}
    reply = await _claim_or_wait(claim, path, ttl_s=call.settings.idempotency_key_ttl_s)
    if reply is not None:
        if reply.request_path != path:
            raise BadRequest(f"Idempotency-Key {key!r} was already used for {reply.request_path}.")
        if reply.status_code is None or reply.body is None:
            if reply.resource_id is None and reply.status_code is not None:
                raise ConflictingRequest(f"The request with Idempotency-Key {key!r} was answered "
                                         f"{reply.status_code}, but its answer was not kept (too large, or the "
                                         "database failed to keep it); look its result up instead of retrying.")
            if reply.resource_id is None:
                raise ConflictingRequest(f"A request with Idempotency-Key {key!r} is still in progress after "
                                         f"{WAIT_S:.0f} s; try again.")
            # The first run created its resource and died before answering: answer for it now.
            call = dataclasses.replace(scope[SCOPE_KEY], replay_resource_id=reply.resource_id,
                                       idempotency_claim=None)
            await app({**scope, SCOPE_KEY: call}, receive, _marked_replayed(send))
            return
        await _replay(send, reply.status_code, reply.body)
        return
    await _first(app, scope, receive, send, claim=claim)


async def _claim_or_wait(claim: IdempotencyClaim, path: str, *, ttl_s: float) -> IdempotentReply | None:
    """None once this run holds the key; else the first run's reply, waiting while it has none yet."""
    deadline = time.monotonic() + WAIT_S
    while True:
        reply = await to_thread.run_sync(lambda: db.idempotency_claim(claim, path, ttl_s=ttl_s))
        in_progress = (reply is not None and reply.request_path == path and reply.status_code is None
                       and reply.resource_id is None)
        if not in_progress or time.monotonic() >= deadline:
            return reply
        await anyio.sleep(POLL_S)


async def _replay(send: Send, status_code: int, body: str) -> None:
    payload = body.encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(payload)).encode()),
               _REPLAYED]
    await send({"type": "http.response.start", "status": status_code, "headers": headers})
    await send({"type": "http.response.body", "body": payload})


def _marked_replayed(send: Send) -> Send:
    async def marked(message: Message) -> None:
        if message["type"] == "http.response.start":
            message = {**message, "headers": [*message.get("headers", []), _REPLAYED]}
        await send(message)

    return marked


async def _first(app: ASGIApp, scope: Scope, receive: Receive, send: Send, *, claim: IdempotencyClaim) -> None:
    """Run the request; hold its answer until it is stored, so a quick retry never sees 'in progress'."""
    start: Message | None = None
    chunks: list[bytes] = []

    async def capture(message: Message) -> None:
        nonlocal start
        if message["type"] == "http.response.start":
            start = message
            return
        if message["type"] == "http.response.body" and start is not None:
            chunks.append(message.get("body", b""))
            if message.get("more_body", False):
                return
            status = int(start["status"])
            body = b"".join(chunks)
            if 200 <= status < 400:
                await to_thread.run_sync(_keep, claim, status, body)
            else:
                await to_thread.run_sync(_forget, claim)
            await send(start)
            await send({"type": "http.response.body", "body": body})
            return
        await send(message)

    try:
        await app(scope, receive, capture)
    except BaseException:
        await to_thread.run_sync(db.idempotency_forget, claim)
        raise


def _keep(claim: IdempotencyClaim, status: int, body: bytes) -> None:
    """Store the answer for retries; a failure is logged, never raised: the change has committed."""
    try:
        if not db.idempotency_store(claim, status_code=status, body=body.decode("utf-8", "replace")):
            log.warning("the answer to Idempotency-Key %r (%d bytes) is too large to keep: a retry is answered "
                        "from its resource, or refused", claim.key, len(body))
        return
    except Exception:
        log.exception("could not keep the answer to Idempotency-Key %r; keeping its status alone", claim.key)
    try:
        db.idempotency_store(claim, status_code=status, body=None)
    except Exception:
        log.exception("could not keep the status of Idempotency-Key %r either: a retry after %s s runs the "
                      "request again unless it created a resource", claim.key, TAKEOVER_AFTER.total_seconds())


def _forget(claim: IdempotencyClaim) -> None:
    try:
        db.idempotency_forget(claim)
    except Exception:
        log.exception("could not forget Idempotency-Key %r of a failed request: a retry takes it over after %s s",
                      claim.key, TAKEOVER_AFTER.total_seconds())
