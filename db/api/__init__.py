"""The one DB API: every read and write of ember's state goes through these functions.

Each function opens its own short transaction and returns frozen values from
``db.records``; callers never see a session.
"""

from db.api.backends import (
    backend_epoch_advance,
    backend_epochs,
    backend_get,
    backend_lease_claim,
    backend_lease_release,
    backend_lease_renew,
)
from db.api.housekeeping import Cleanup, db_purge, work_cleanup
from db.api.idempotency import idempotency_claim, idempotency_forget, idempotency_store
from db.api.messages import message_create, message_delete, message_get, message_list
from db.api.pools import pool_delete_backend, pool_list, pool_report
from db.api.quotas import (
    UsageDrift,
    quota_check,
    quota_destroy,
    quota_get,
    quota_set,
    quota_sync,
)
from db.api.services import (
    service_alive,
    service_heartbeat,
    service_hosts_closed,
    service_list,
    service_remove,
    service_set_disabled,
    service_set_frozen,
)
from db.api.snapshots import (
    snapshot_count,
    snapshot_create,
    snapshot_destroy,
    snapshot_get,
    snapshot_list,
    snapshot_list_stale,
    snapshot_transition,
    snapshot_update,
)
from db.api.types import (
    DEFAULT_TYPE_NAME,
    extra_spec_delete,
    extra_specs_set,
    type_create,
    type_delete,
    type_get,
    type_get_by_name_or_id,
    type_list,
    type_update,
)
from db.api.volumes import (
    volume_count,
    volume_create,
    volume_destroy,
    volume_export_update,
    volume_exports,
    volume_get,
    volume_list,
    volume_list_stale,
    volume_schedule,
    volume_transition,
    volume_update,
)
from db.api.work import HolderCheck, work_claim, work_list, work_release
from db.session import ping

__all__ = [
    "DEFAULT_TYPE_NAME",
    "Cleanup",
    "HolderCheck",
    "UsageDrift",
    "backend_epoch_advance",
    "backend_epochs",
    "backend_get",
    "backend_lease_claim",
    "backend_lease_release",
    "backend_lease_renew",
    "db_purge",
    "extra_spec_delete",
    "extra_specs_set",
    "idempotency_claim",
    "idempotency_forget",
    "idempotency_store",
    "message_create",
    "message_delete",
    "message_get",
    "message_list",
    "ping",
    "pool_delete_backend",
    "pool_list",
    "pool_report",
    "quota_check",
    "quota_destroy",
    "quota_get",
    "quota_set",
    "quota_sync",
    "service_alive",
    "service_heartbeat",
    "service_hosts_closed",
    "service_list",
    "service_remove",
    "service_set_disabled",
    "service_set_frozen",
    "snapshot_count",
    "snapshot_create",
    "snapshot_destroy",
    "snapshot_get",
    "snapshot_list",
    "snapshot_list_stale",
    "snapshot_transition",
    "snapshot_update",
    "type_create",
    "type_delete",
    "type_get",
    "type_get_by_name_or_id",
    "type_list",
    "type_update",
    "volume_count",
    "volume_create",
    "volume_destroy",
    "volume_export_update",
    "volume_exports",
    "volume_get",
    "volume_list",
    "volume_list_stale",
    "volume_schedule",
    "volume_transition",
    "volume_update",
    "work_claim",
    "work_cleanup",
    "work_list",
    "work_release",
]
