"""The route modules; ``ALL`` is every route the API serves, in matching order."""

from api.routes import (
                                            attachments,
                                            backends,
                                            backups,
                                            hosts,
                                            messages,
                                            qos_specs,
                                            quotas,
                                            snapshot_metadata,
                                            snapshots,
                                            transfers,
                                            type_encryption,
                                            types,
                                            versions,
                                            volume_metadata,
                                            volumes,
                                            workers,
)
from api.spec import RouteSpec

ALL: list[RouteSpec] = [spec for module in (versions, volumes, volume_metadata, snapshots, snapshot_metadata, attachments, types, type_encryption, qos_specs, quotas,
                                            backends, backups, hosts, messages, workers) for spec in module.routes.specs]
ALL += transfers.legacy.specs + transfers.current.specs
