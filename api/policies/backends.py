"""Rules of what the backends report: pools (Cinder's ``scheduler_stats.py``), services (``services.py``),
and ember's rule for availability zones, which Cinder lists to any caller."""

from __future__ import annotations

from oslo_policy.policy import DocumentedRuleDefault as Rule

from api.policies.base import ADMIN_API, operation

GET_POOLS = "scheduler_extension:scheduler_stats:get_pools"
CAPABILITIES = "volume_extension:capabilities"
HOSTS = "volume_extension:hosts"
SERVICES_INDEX = "volume_extension:services:index"
SERVICES_UPDATE = "volume_extension:services:update"
AVAILABILITY_ZONES = "ember:availability_zone_get_all"
EXTENSIONS = "ember:extensions_list"
RESOURCE_FILTERS = "ember:resource_filters_list"

RULES = [
    Rule(GET_POOLS, ADMIN_API, "List all backend pools.", [operation("GET", "/scheduler-stats/get_pools")]),
    Rule(HOSTS, ADMIN_API, "List, update or show hosts for a project.",
         [operation("GET", "/os-hosts"), operation("GET", "/os-hosts/{host_name}")]),
    Rule(CAPABILITIES, ADMIN_API, "Show backend capabilities.", [operation("GET", "/capabilities/{host_name}")]),
    Rule(SERVICES_INDEX, ADMIN_API, "List all services.", [operation("GET", "/os-services")]),
    Rule(SERVICES_UPDATE, ADMIN_API,
         "Update service, including failover_host, thaw, freeze, disable, enable, set-log and get-log actions.",
         [operation("PUT", "/os-services/{action}")]),
    Rule(AVAILABILITY_ZONES, "",
         "(ember) List availability zones; Cinder checks no rule here (any valid token).",
         [operation("GET", "/os-availability-zone")]),
    Rule(EXTENSIONS, "", "(ember) List the API extensions; Cinder checks no rule here (any valid token).",
         [operation("GET", "/extensions")]),
    Rule(RESOURCE_FILTERS, "", "(ember) List the filters each list accepts; Cinder checks no rule here "
         "(any valid token).", [operation("GET", "/resource_filters")]),
]


def list_rules() -> list[Rule]:
    return list(RULES)
