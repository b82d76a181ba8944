"""Every route of the API × every kind of caller → the answer Cinder 29's default policy gives.

The rows come from the route table (``api.spec.policy_table(routes.ALL)``: each token route, and each
action of an action route); ``matrix_expectations.EXPECTED`` says, for each, who Cinder's default admits
and where the resource it acts on belongs. A route added without a row there fails its own matrix case
and ``test_every_route_has_an_expectation`` (and the unit tier's copy of it), so no route ships without
its answers being pinned.

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

from collections.abc import Iterator

import pytest
from localcluster.keystone import Keystone

from api import routes
from api.spec import PolicyRow, RouteSpec, policy_table
from bench.stack import EmbeddedStack
from tests.keystone.callers import MICROVERSION, Caller
from tests.keystone.matrix_expectations import EXPECTED, SHARED_SPEC_KEY, Access, Expect, Owner
from tests.keystone.matrix_world import Params, World

pytestmark = pytest.mark.keystone

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
    volume_kinds = ("volume", "reserved", "connected", "in_use", "detaching", "snapshot", "creating_snapshot",
                    "revertible", "transfer", "backup", "backup_record", "attachment", "reserved_attachment")
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
