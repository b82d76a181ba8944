"""Rules of os-volume-transfer and volume-transfers (Cinder's ``volume_transfer.py``)."""

from __future__ import annotations

from oslo_policy.policy import DocumentedRuleDefault as Rule
from oslo_policy.policy import Operation

from api.policies.base import (
    ADMIN_OR_OWNER,
    ADMIN_OR_PROJECT_MEMBER,
    ADMIN_OR_PROJECT_READER,
    deprecated,
    operation,
)

GET_ALL = "volume:get_all_transfers"
CREATE = "volume:create_transfer"
GET = "volume:get_transfer"
ACCEPT = "volume:accept_transfer"
DELETE = "volume:delete_transfer"


def _both(method: str, suffix: str = "") -> list[Operation]:
    return [operation(method, f"/os-volume-transfer{suffix}"), operation(method, f"/volume-transfers{suffix}")]


RULES = [
    Rule(GET_ALL, ADMIN_OR_PROJECT_READER, "List volume transfer.", [*_both("GET"), *_both("GET", "/detail")],
         deprecated_rule=deprecated(GET_ALL, ADMIN_OR_OWNER)),
    Rule(CREATE, ADMIN_OR_PROJECT_MEMBER, "Create a volume transfer.", _both("POST"),
         deprecated_rule=deprecated(CREATE, ADMIN_OR_OWNER)),
    Rule(GET, ADMIN_OR_PROJECT_READER, "Show one specified volume transfer.", _both("GET", "/{transfer_id}"),
         deprecated_rule=deprecated(GET, ADMIN_OR_OWNER)),
    # anyone with the key may accept: the deprecated default is empty, as Cinder's
    Rule(ACCEPT, ADMIN_OR_PROJECT_MEMBER, "Accept a volume transfer.", _both("POST", "/{transfer_id}/accept"),
         deprecated_rule=deprecated(ACCEPT, "")),
    Rule(DELETE, ADMIN_OR_PROJECT_MEMBER, "Delete volume transfer.", _both("DELETE", "/{transfer_id}"),
         deprecated_rule=deprecated(DELETE, ADMIN_OR_OWNER)),
]


def list_rules() -> list[Rule]:
    return list(RULES)
