"""The keystone tier's persona matrix has a row for every route the API serves (and none for a route
that is gone): checked here too, so a new route without its policy expectation fails the fast tier."""

from __future__ import annotations

from api import routes
from api.spec import policy_table
from tests.keystone.matrix_expectations import EXPECTED, Access


def test_every_token_route_and_action_has_its_expected_answers() -> None:
    rows = {(row.method, row.path, row.action) for row in policy_table(routes.ALL)}
    assert sorted(rows - EXPECTED.keys(), key=str) == [], "routes without a row in matrix_expectations.EXPECTED"
    assert sorted(EXPECTED.keys() - rows, key=str) == [], "rows of EXPECTED that are no route (any more)"


def test_the_admin_only_rows_are_the_routes_whose_rules_are_admin_api() -> None:
    """The matrix's ADMIN rows agree with the rules' defaults: a rule loosened or tightened by mistake in
    api/policies shows here before the keystone tier runs."""
    from api import policies

    admin_rules = {rule.name for rule in policies.list_rules() if rule.check_str == "rule:admin_api"}
    for row in policy_table(routes.ALL):
        expect = EXPECTED[(row.method, row.path, row.action)]
        assert (expect.access is Access.ADMIN) == (row.rules[-1] in admin_rules), (row, expect.access)
