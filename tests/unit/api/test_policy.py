"""Cinder's policy in ember: the persona decisions of the default rules, the route table that names a
rule for every route, policy.yaml overrides, the oslopolicy generators, and noauth's roles."""

from __future__ import annotations

import dataclasses
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import yaml
from oslo_config import cfg
from starlette.responses import Response

from api import policies, routes, spec
from api.policies import attachments as attachment_rules
from api.policies import volumes as volume_rules
from api.policies.enforcer import RECHECK_S, Policy, own_target
from api.spec import Action, Routes
from common.context import RequestContext
from tests.unit.api.conftest import POOL, Api, make_available

BIN = Path(sys.executable).parent


@pytest.fixture(scope="module")
def policy() -> Policy:
    conf = cfg.ConfigOpts()
    conf([], default_config_files=[])
    return Policy(conf)


# the contexts a Keystone token of each persona gives (its implied roles included)
PERSONAS = {
    "admin": RequestContext(user_id="root", project_id="admin-project", roles=("admin", "member", "reader")),
    "member": RequestContext(user_id="alice", project_id="proj-a", roles=("member", "reader")),
    "reader": RequestContext(user_id="rita", project_id="proj-a", roles=("reader",)),
    "other-member": RequestContext(user_id="bob", project_id="proj-b", roles=("member", "reader")),
    "service-token": RequestContext(user_id="rita", project_id="proj-a", roles=("reader",),
                                    service_roles=("service",)),
}
ON_A = {"project_id": "proj-a", "user_id": "alice"}

# rule -> the personas it lets act on a resource of proj-a
EXPECTED = {
    "volume:get": {"admin", "member", "reader", "service-token"},
    "volume:get_all": {"admin", "member", "reader", "service-token"},
    "volume:create": {"admin", "member"},
    "volume:delete": {"admin", "member"},
    "volume:extend": {"admin", "member"},
    "volume:extend_attached_volume": {"admin", "member"},
    "volume_extension:volume_actions:initialize_connection": {"admin", "member"},
    "volume:attachment_create": {"admin", "member"},
    "ember:attachment_get": {"admin", "member", "reader", "service-token"},
    "ember:attachment_connection_info": {"admin", "member", "service-token"},
    "volume_extension:volume_admin_actions:reset_status": {"admin"},
    "volume_extension:volume_admin_actions:force_delete": {"admin"},
    "volume_extension:type_create": {"admin"},
    "volume_extension:quotas:show": {"admin", "member", "reader", "service-token"},
    "volume_extension:quotas:update": {"admin"},
    "scheduler_extension:scheduler_stats:get_pools": {"admin"},
    "volume_extension:services:index": {"admin"},
    "message:get_all": {"admin", "member", "reader", "service-token"},
    "message:delete": {"admin", "member"},
    "workers:cleanup": {"admin"},
    "ember:availability_zone_get_all": set(PERSONAS),
}


@pytest.mark.parametrize("rule", sorted(EXPECTED))
def test_each_persona_gets_what_cinders_defaults_give(policy: Policy, rule: str) -> None:
    allowed = {name for name, ctx in PERSONAS.items() if policy.allowed(policy.with_admin_flag(ctx), rule, ON_A)}
    assert allowed == EXPECTED[rule]


def test_only_the_admin_role_is_the_cloud_admin(policy: Policy) -> None:
    assert {name for name, ctx in PERSONAS.items() if policy.is_admin(ctx)} == {"admin"}


def test_an_unregistered_rule_is_a_bug_not_a_denial(policy: Policy) -> None:
    from oslo_policy.policy import PolicyNotRegistered

    with pytest.raises(PolicyNotRegistered):
        policy.allowed(PERSONAS["admin"], "volume:no_such_rule", ON_A)


def test_every_route_names_a_registered_rule_and_only_token_less_ones_are_public() -> None:
    for route in routes.ALL:
        if route.project_scoped:
            assert route.policy in spec.RULE_NAMES, route.path
        else:
            assert route.policy == policies.PUBLIC, route.path
        for action in route.actions:
            assert action.policy in spec.RULE_NAMES, (route.path, action.name)


def test_the_policy_table_lists_every_token_route_and_action_with_its_rules() -> None:
    rows = spec.policy_table(routes.ALL)
    token_routes = [r for r in routes.ALL if r.project_scoped]
    assert len(rows) == sum(len(r.actions) or 1 for r in token_routes)
    by_key = {(row.method, row.path, row.action): row for row in rows}
    extend = by_key[("POST", "/v3/volumes/{volume_id}/action", "os-extend")]
    assert extend.rules == ("volume:get", "volume:extend") and extend.resource_param == "volume_id"
    assert by_key[("POST", "/v3/volumes", None)].resource_param is None
    assert by_key[("GET", "/v3/os-quota-sets/{target_project_id}", None)].resource_param == "target_project_id"
    assert by_key[("POST", "/v3/workers/cleanup", None)].since == 24


def _no_answer(*args: Any) -> Response:
    return Response(status_code=204)


def test_a_route_without_a_rule_or_with_an_unknown_one_fails_when_declared() -> None:
    table = Routes("/v3/things", tag="things", path_params={"thing_id": {"type": "string"}})
    with pytest.raises(TypeError, match="policy"):
        table.get("", name="list_things", summary="List.")(_no_answer)
    with pytest.raises(ValueError, match="no rule api.policies registers"):
        table.get("", name="list_things", summary="List.", policy="thing:get_all")(_no_answer)
    with pytest.raises(ValueError, match="'@public' is no rule"):
        table.get("", name="list_things", summary="List.", policy=policies.PUBLIC)(_no_answer)
    with pytest.raises(ValueError, match="token-less"):
        table.get("/x", name="show_x", summary="X.", policy=volume_rules.GET, project_scoped=False)(
            _no_answer)
    with pytest.raises(TypeError, match="policy"):
        Action("os-x", {}, _no_answer, 202, "X.")  # type: ignore[call-arg]
    with pytest.raises(ValueError, match="os-x"):
        table.actions("/{thing_id}/action", [Action("os-x", {}, _no_answer, 202, "X.", policy="nope")],
                      name="thing_action", summary="Act.", policy=volume_rules.GET)


def _run(tool: str, *args: str) -> str:
    done = subprocess.run([str(BIN / tool), *args], capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_the_sample_generator_lists_every_rule_with_its_default(tmp_path: Path) -> None:
    out = tmp_path / "policy.yaml.sample"
    _run("oslopolicy-sample-generator", "--namespace", "ember", "--output-file", str(out))
    text = out.read_text()
    for rule in policies.list_rules():
        assert f'#"{rule.name}": "{rule.check_str}"' in text, rule.name
    assert "# POST  /volumes/{volume_id}/action (os-extend)" in text


def test_the_policy_generator_merges_the_operators_overrides(tmp_path: Path) -> None:
    overrides = tmp_path / "policy.yaml"
    overrides.write_text('"volume:create": "role:admin"\n')
    conf = tmp_path / "ember.conf"
    conf.write_text(f"[oslo_policy]\npolicy_file = {overrides}\n")
    effective = yaml.safe_load(_run("oslopolicy-policy-generator", "--namespace", "ember", "--config-file",
                                    str(conf)))
    assert effective["volume:create"] == "role:admin"
    assert effective["volume:delete"] == "rule:xena_system_admin_or_project_member"
    assert set(effective) >= spec.RULE_NAMES


# -- through the API, with noauth's roles --------------------------------------------------------------

@pytest.fixture
def restricted(set_conf: Any, app_factory: Any) -> tuple[Api, Api, Api]:
    set_conf("noauth_admin_projects", ["admin"])
    client = app_factory()
    return Api(client, "root:admin"), Api(client, "alice:proj-a"), Api(client, "bob:proj-b")


def test_noauth_members_act_on_their_project_only_and_admins_on_all(restricted: tuple[Api, Api, Api]) -> None:
    admin, member, other = restricted
    volume = member.create_volume()
    make_available(volume["id"])
    path = f"/volumes/{volume['id']}"
    assert other.get(path).status_code == 404  # not 403: another project's volume does not exist for it
    assert other.post(f"{path}/action", {"os-extend": {"new_size": 2}}).status_code == 404
    denied = member.post(f"{path}/action", {"os-reset_status": {"status": "error"}})
    assert denied.status_code == 403
    assert denied.json() == {"forbidden": {"code": 403, "message": "Policy doesn't allow "
                                           "volume_extension:volume_admin_actions:reset_status to be performed."}}
    assert "os-vol-host-attr:host" not in member.get(path).json()["volume"]
    assert admin.get(path).json()["volume"]["os-vol-host-attr:host"] == POOL
    assert admin.post(f"{path}/action", {"os-reset_status": {"status": "error"}}).status_code == 202
    assert other.get("/os-quota-sets/proj-a").status_code == 403
    assert member.get("/os-quota-sets/proj-a").status_code == 200


def test_a_policy_file_overrides_a_default(tmp_path: Path, set_conf: Any, app_factory: Any) -> None:
    overrides = tmp_path / "policy.yaml"
    overrides.write_text('"volume:create": "role:admin"\n"volume:get_all": "!"\n')
    set_conf("noauth_admin_projects", ["admin"])
    set_conf("policy_file", str(overrides), group="oslo_policy")
    client = app_factory()
    member, admin = Api(client, "alice:proj-a"), Api(client, "root:admin")
    refused = member.post("/volumes", {"volume": {"size": 1}})
    assert refused.status_code == 403
    assert "volume:create" in refused.json()["forbidden"]["message"]
    assert admin.post("/volumes", {"volume": {"size": 1}}).status_code == 202
    assert admin.get("/volumes").status_code == 403  # "!": nobody


def test_a_changed_policy_file_takes_effect_within_a_second(tmp_path: Path, set_conf: Any, app_factory: Any) -> None:
    """Decisions are remembered, but only until the next look at the file (at most RECHECK_S later)."""
    overrides = tmp_path / "policy.yaml"
    overrides.write_text('"volume:get_all": "role:member or role:admin"\n')
    set_conf("policy_file", str(overrides), group="oslo_policy")
    member = Api(app_factory(), "alice:proj-a")
    assert member.get("/volumes").status_code == 200
    overrides.write_text('"volume:get_all": "!"\n')
    deadline = time.monotonic() + RECHECK_S + 3
    while member.get("/volumes").status_code == 200:
        assert time.monotonic() < deadline, "the changed policy file was not read again"
        time.sleep(0.1)
    assert member.get("/volumes").status_code == 403


def test_noauth_logs_that_it_is_for_development(caplog: pytest.LogCaptureFixture, app_factory: Any) -> None:
    with caplog.at_level("WARNING", logger="api.noauth"):
        app_factory()
    assert any("noauth is for development only" in r.getMessage() and "noauth_admin_projects" in r.getMessage()
               for r in caplog.records)


def test_readers_see_an_attachment_without_its_connection_info(policy: Policy) -> None:
    reader = PERSONAS["reader"]
    assert policy.allowed(reader, attachment_rules.GET, ON_A)
    assert not policy.allowed(reader, attachment_rules.CONNECTION_INFO, ON_A)


def test_the_context_carries_its_roles_over_rpc() -> None:
    ctx = dataclasses.replace(PERSONAS["service-token"], domain_id=None, service_user_id="nova")
    assert RequestContext.from_wire(ctx.to_wire()) == ctx
    assert RequestContext.from_wire({"user_id": "u", "project_id": "p"}).roles == ()
    assert own_target(ctx) == {"project_id": "proj-a", "user_id": "rita"}
