"""The route modules; ``ALL`` is every route the API serves, in matching order."""

from api.routes import (
                                            attachments,
                                            backends,
                                            backups,
                                            clusters,
                                            default_types,
                                            group_snapshots,
                                            groups,
                                            hosts,
                                            manage,
                                            messages,
                                            qos_specs,
                                            quotas,
                                            resource_filters,
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

ALL: list[RouteSpec] = [spec for module in (versions, volumes, volume_metadata, snapshots, snapshot_metadata, attachments,
                                            types, type_encryption, qos_specs, quotas, default_types, clusters,
                                            backends, backups, hosts, messages, workers, resource_filters)
                        for spec in module.routes.specs]
ALL += transfers.legacy.specs + transfers.current.specs
ALL += manage.ALL
ALL += groups.types.specs + groups.groups.specs + group_snapshots.routes.specs
