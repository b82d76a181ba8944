"""Every route of the API × every kind of caller → the answer Cinder 29's default policy gives.

The rows come from the route table (``api.spec.policy_table(routes.ALL)``: each token route, and each
action of an action route); ``EXPECTED`` says, for each, who Cinder's default admits and where the
resource it acts on belongs. A route added without a row here fails ``test_every_route_has_an_expectation``
and its own matrix case, so no route ships without its answers being pinned.

The callers, each with its own token from the tier's real Keystone 30, against one ember-all under
``auth_strategy = keystone``:
- admin: role admin on project admin (Cinder's cloud admin: any project's resources, the admin APIs);
- service: ember's service user (roles admin and service on project service, as Cinder's is deployed);
- member and reader of demo, the project that owns the resources acted on;
- other: a member of another project (alt_demo); demo's resources are a 404 to it, never a 403;
- no token, and an expired token of demo's member: 401;
- service token: demo's member's expired token with the service user's valid X-Service-Token (Nova
  during a long operation), which acts as demo's member.
An admitted caller gets the route's success code (or, where marked, the 400 of Cinder's state check
that follows the policy); a caller the rule refuses gets 403.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from enum import Enum
from typing import Any

import pytest
from localcluster.keystone import Keystone

from api import routes
from api.spec import PolicyRow, RouteSpec, policy_table
from bench.stack import EmbeddedStack
from tests.keystone.callers import MICROVERSION, Caller
from tests.keystone.matrix_world import CONNECTOR, Params, World

pytestmark = pytest.mark.keystone


class Access(Enum):
    """Whom Cinder's default rule admits, on the project the rule is checked on."""

    TOKEN = "any valid token"
    READER = "the project's readers (and members), and the cloud admin"
    MEMBER = "the project's members, and the cloud admin"
    ADMIN = "the cloud admin only"


class Owner(Enum):
    """Where the resource a route acts on belongs, which decides what another project's member gets."""

    PATH = "demo's resource named in the path: another project's member gets 404 before any rule"
    BODY = "demo's resource named in the body: the rule passes on the caller's project, the lookup is a 404"
    CALLER = "the caller's own project (creates, lists, global types): another project acts on its own"
    PROJECT = "demo named as the project in the path (quotas): another project's member gets 403"


@dataclass(frozen=True)
class Expect:
    access: Access
    owner: Owner = Owner.PATH
    fresh: str | None = None        # World.fresh kind each admitted caller gets; None: the shared resources
    body: Callable[[Params], Any] | None = None
    allowed: int | None = None      # the admitted answer when it is not the route's success code


def _new_name(_: Params) -> dict[str, Any]:
    import uuid

    return {"volume_type": {"name": f"matrix-{uuid.uuid4().hex[:8]}"}}


V, VA = "/v3/volumes", "/v3/volumes/{volume_id}/action"
M = "/v3/volumes/{volume_id}/metadata"
S, SA = "/v3/snapshots", "/v3/snapshots/{snapshot_id}/action"
A = "/v3/attachments"
T = "/v3/types"
Q = "/v3/os-quota-sets/{target_project_id}"
R, P, W, B, C, PR = Access.READER, Access.MEMBER, Access.ADMIN, Owner.BODY, Owner.CALLER, Owner.PROJECT

EXPECTED: dict[tuple[str, str, str | None], Expect] = {
    ("POST", V, None): Expect(P, C, body=lambda p: {"volume": {"size": 1, "name": "matrix-made"}}),
    ("GET", V, None): Expect(R, C),
    ("GET", f"{V}/detail", None): Expect(R, C),
    ("GET", f"{V}/{{volume_id}}", None): Expect(R),
    ("PUT", f"{V}/{{volume_id}}", None): Expect(P, body=lambda p: {"volume": {"description": "by the matrix"}}),
    ("DELETE", f"{V}/{{volume_id}}", None): Expect(P, fresh="volume"),
    ("POST", VA, "os-extend"): Expect(P, fresh="volume", body=lambda p: {"os-extend": {"new_size": 2}}),
    ("POST", VA, "os-reserve"): Expect(P, fresh="volume"),
    ("POST", VA, "os-unreserve"): Expect(P, fresh="reserved"),
    ("POST", VA, "os-initialize_connection"): Expect(
        P, fresh="reserved", body=lambda p: {"os-initialize_connection": {"connector": CONNECTOR}}),
    ("POST", VA, "os-attach"): Expect(P, fresh="connected", body=lambda p: {"os-attach": {
        "instance_uuid": "0d7d4c8e-5b0e-4a8f-9a51-6f4f1d8a0a01", "mountpoint": "/dev/vdb"}}),
    ("POST", VA, "os-begin_detaching"): Expect(P, fresh="in_use"),
    ("POST", VA, "os-roll_detaching"): Expect(P, fresh="detaching"),
    ("POST", VA, "os-terminate_connection"): Expect(
        P, fresh="detaching", body=lambda p: {"os-terminate_connection": {"connector": CONNECTOR}}),
    ("POST", VA, "os-detach"): Expect(P, fresh="detaching",
                                      body=lambda p: {"os-detach": {"attachment_id": p.get("attachment_id")}}),
    ("POST", VA, "os-force_detach"): Expect(W, fresh="in_use", body=lambda p: {"os-force_detach": {
        "attachment_id": p.get("attachment_id")}}),
    ("POST", VA, "os-reset_status"): Expect(W, body=lambda p: {"os-reset_status": {"status": "available"}}),
    ("POST", VA, "os-force_delete"): Expect(W, fresh="volume"),
    ("POST", VA, "os-set_bootable"): Expect(P, body=lambda p: {"os-set_bootable": {"bootable": False}}),
    ("GET", M, None): Expect(R),
    ("POST", M, None): Expect(P, body=lambda p: {"metadata": {"k": "v"}}),
    ("PUT", M, None): Expect(P, body=lambda p: {"metadata": {"k": "v"}}),
    ("GET", f"{M}/{{key}}", None): Expect(R),
    ("PUT", f"{M}/{{key}}", None): Expect(P, body=lambda p: {"meta": {"k": "v"}}),
    ("DELETE", f"{M}/{{key}}", None): Expect(P, fresh="metadata_key"),
    ("POST", S, None): Expect(P, B, fresh="volume", body=lambda p: {"snapshot": {"volume_id": p["volume_id"]}}),
    ("GET", S, None): Expect(R, C),
    ("GET", f"{S}/detail", None): Expect(R, C),
    ("GET", f"{S}/{{snapshot_id}}", None): Expect(R),
    ("PUT", f"{S}/{{snapshot_id}}", None): Expect(P, body=lambda p: {"snapshot": {"description": "matrix"}}),
    ("DELETE", f"{S}/{{snapshot_id}}", None): Expect(P, fresh="snapshot"),
    ("POST", SA, "os-reset_status"): Expect(W, body=lambda p: {"os-reset_status": {"status": "available"}}),
    ("POST", SA, "os-force_delete"): Expect(W, fresh="snapshot"),
    ("POST", A, None): Expect(P, B, fresh="volume", body=lambda p: {"attachment": {
        "volume_uuid": p["volume_id"], "instance_uuid": "0d7d4c8e-5b0e-4a8f-9a51-6f4f1d8a0a02",
        "connector": CONNECTOR}}),
    ("GET", A, None): Expect(R, C),
    ("GET", f"{A}/detail", None): Expect(R, C),
    ("GET", f"{A}/{{attachment_id}}", None): Expect(R),
    ("PUT", f"{A}/{{attachment_id}}", None): Expect(P, fresh="reserved_attachment",
                                                    body=lambda p: {"attachment": {"connector": CONNECTOR}}),
    ("DELETE", f"{A}/{{attachment_id}}", None): Expect(P, fresh="attachment"),
    ("POST", f"{A}/{{attachment_id}}/action", "os-complete"): Expect(P, fresh="attachment",
                                                                     body=lambda p: {"os-complete": {}}),
    ("GET", T, None): Expect(R, C),
    ("GET", f"{T}/{{type_id}}", None): Expect(R, C),
    ("POST", T, None): Expect(W, C, body=_new_name),
    ("PUT", f"{T}/{{type_id}}", None): Expect(W, C, body=lambda p: {"volume_type": {"description": "matrix"}}),
    ("DELETE", f"{T}/{{type_id}}", None): Expect(W, C, fresh="type"),
    ("GET", f"{T}/{{type_id}}/extra_specs", None): Expect(R, C),
    ("POST", f"{T}/{{type_id}}/extra_specs", None): Expect(W, C, body=lambda p: {"extra_specs": {"k": "v"}}),
    # multiattach: one of the extra specs every reader may see (the others are a 404 to non-admins)
    ("GET", f"{T}/{{type_id}}/extra_specs/{{key}}", None): Expect(R, C),
    ("PUT", f"{T}/{{type_id}}/extra_specs/{{key}}", None): Expect(W, C, body=lambda p: {p["key"]: "v"}),
    ("DELETE", f"{T}/{{type_id}}/extra_specs/{{key}}", None): Expect(W, C, fresh="spec_key"),
    ("GET", Q, None): Expect(R, PR),
    ("GET", f"{Q}/defaults", None): Expect(R, PR),
    ("PUT", Q, None): Expect(W, PR, body=lambda p: {"quota_set": {"volumes": -1}}),
    ("DELETE", Q, None): Expect(W, PR),
    ("GET", "/v3/limits", None): Expect(Access.TOKEN, C),
    ("GET", "/v3/os-availability-zone", None): Expect(Access.TOKEN, C),
    ("GET", "/v3/scheduler-stats/get_pools", None): Expect(W, C),
    ("GET", "/v3/os-services", None): Expect(W, C),
    ("PUT", "/v3/os-services/{action}", None): Expect(W, C, body=lambda p: {
        "host": p["service_host"], "binary": p["service_binary"]}),
    ("GET", "/v3/messages", None): Expect(R, C),
    ("GET", "/v3/messages/{message_id}", None): Expect(R),
    ("DELETE", "/v3/messages/{message_id}", None): Expect(P, fresh="message"),
    ("POST", "/v3/workers/cleanup", None): Expect(W, C, body=lambda p: {"resource_type": "Volume"}),
}
# the extra spec key the shared type's key routes name
SHARED_SPEC_KEY = "multiattach"

ROWS = policy_table(routes.ALL)
SPECS: dict[tuple[str, str], RouteSpec] = {(s.method, s.path): s for s in routes.ALL}


def _key(row: PolicyRow) -> tuple[str, str, str | None]:
    return (row.method, row.path, row.action)


# --- the callers -----------------------------------------------------------------------------------------

ADMIN, SERVICE, MEMBER, READER, OTHER = "admin", "service", "member", "reader", "other"
NO_TOKEN, EXPIRED, SERVICE_TOKEN = "no token", "expired token", "expired token + service token"
CALLERS = (NO_TOKEN, EXPIRED, READER, OTHER, MEMBER, SERVICE_TOKEN, ADMIN, SERVICE)
CLOUD_ADMINS = {ADMIN, SERVICE}
DEMO_MEMBERS = {MEMBER, SERVICE_TOKEN}


def expected(caller: str, expect: Expect, success: int) -> int:
    """Cinder 29's answer to ``caller`` on a row."""
    if caller in (NO_TOKEN, EXPIRED):
        return 401
    allowed = expect.allowed or success
    if caller in CLOUD_ADMINS:
        return allowed
    if caller == OTHER:
        if expect.owner is Owner.PATH:
            return 404
        if expect.access is Access.ADMIN or (expect.owner is Owner.PROJECT and expect.access is not Access.TOKEN):
            return 403
        return 404 if expect.owner is Owner.BODY else allowed
    admitted = {Access.TOKEN, Access.READER} | ({Access.MEMBER} if caller in DEMO_MEMBERS else set())
    return allowed if expect.access in admitted else 403


@pytest.fixture(scope="module")
def callers(keystone: Keystone, keystone_ember: EmbeddedStack,
            logins: dict[str, tuple[str, str]]) -> dict[str, Caller]:
    endpoint = keystone_ember.endpoint
    expired = keystone.expired_token("demo-member")

    def as_(persona: str) -> Caller:
        token, project_id = logins[persona]
        return Caller(endpoint, token, project_id, microversion=MICROVERSION)

    return {
        ADMIN: as_("admin"), SERVICE: as_("service"), MEMBER: as_("demo-member"), READER: as_("demo-reader"),
        OTHER: as_("alt-member"), NO_TOKEN: Caller(endpoint, None, microversion=MICROVERSION),
        EXPIRED: Caller(endpoint, expired.token, microversion=MICROVERSION),
        SERVICE_TOKEN: Caller(endpoint, expired.token, expired.project_id, service_token=logins["service"][0],
                              microversion=MICROVERSION),
    }


def _admitted_fresh(kind: str) -> int:
    """How many admitted callers a row with fresh resources of ``kind`` has."""
    return sum(1 for key, e in EXPECTED.items() if e.fresh == kind
               for c in CALLERS if 200 <= expected(c, e, 200) < 300)


@pytest.fixture(scope="module")
def world(callers: dict[str, Caller]) -> Iterator[World]:
    volume_kinds = ("volume", "reserved", "connected", "in_use", "detaching", "snapshot", "attachment",
                    "reserved_attachment")
    yield World(callers[MEMBER], callers[ADMIN], fresh_volumes=sum(_admitted_fresh(k) for k in volume_kinds),
                fresh_messages=_admitted_fresh("message"))


def _path(template: str, params: Params) -> str:
    return template.removeprefix("/v3").format(**params)


def _params_for(world: World, path: str, expect: Expect, fresh: bool) -> Params:
    params = dict(world.shared)
    if "/types/" in path and "{key}" in path:
        params["key"] = SHARED_SPEC_KEY
    if fresh and expect.fresh:
        params.update(world.fresh[expect.fresh]())
    return params


@pytest.mark.parametrize("row", ROWS, ids=lambda r: f"{r.method} {r.path}{' ' + r.action if r.action else ''}")
def test_each_caller_gets_cinders_answer(row: PolicyRow, callers: dict[str, Caller], world: World) -> None:
    expect = EXPECTED.get(_key(row))
    assert expect is not None, f"no expectation for {_key(row)}: add its row to EXPECTED"
    spec = SPECS[(row.method, row.path)]
    success = spec.action_map[row.action].success if row.action else spec.success
    answers: dict[str, tuple[int, int, str]] = {}
    for name in CALLERS:
        want = expected(name, expect, success)
        params = _params_for(world, row.path, expect, fresh=200 <= want < 300)
        body = expect.body(params) if expect.body else None
        if row.action and body is None:
            body = {row.action: {}}
        got = callers[name].request(row.method, _path(row.path, params), body)
        answers[name] = (want, got.status_code, got.text[:200])
    wrong = {name: answer for name, answer in answers.items() if answer[0] != answer[1]}
    assert not wrong, "caller: (Cinder's answer, ember's, ember's body)\n" + "\n".join(
        f"  {name}: {answer}" for name, answer in wrong.items())
    for name, (want, _, text) in answers.items():
        if want == 403:
            assert "Policy doesn't allow" in text, (name, text)
        if want == 401:
            assert '"unauthorized"' in text, (name, text)


def test_every_route_has_an_expectation() -> None:
    rows = {_key(row) for row in ROWS}
    assert sorted(rows - EXPECTED.keys(), key=str) == [], "routes without a row in EXPECTED"
    assert sorted(EXPECTED.keys() - rows, key=str) == [], "rows of EXPECTED that are no route (any more)"


def test_token_less_routes_answer_without_a_token(keystone_ember: EmbeddedStack) -> None:
    root = keystone_ember.endpoint.removesuffix("/v3")
    public = [s for s in routes.ALL if not s.project_scoped]
    assert public
    for spec in public:
        answer = Caller(root, None).request(spec.method, spec.path)
        assert answer.status_code == spec.success, (spec.path, answer.status_code, answer.text[:200])
