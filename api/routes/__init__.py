"""The route modules; ``ALL`` is every route the API serves, in matching order."""

from api.routes import (
                                            attachments,
                                            backends,
                                            backups,
                                            group_snapshots,
                                            groups,
                                            hosts,
                                            messages,
                                            quotas,
                                            snapshot_metadata,
                                            snapshots,
                                            transfers,
                                            types,
                                            versions,
                                            volume_metadata,
                                            volumes,
                                            workers,
)
from api.spec import RouteSpec

ALL: list[RouteSpec] = [spec for module in (versions, volumes, volume_metadata, snapshots, snapshot_metadata, attachments, types, quotas,
                                            backends, backups, hosts, messages, workers) for spec in module.routes.specs]
ALL += transfers.legacy.specs + transfers.current.specs
ALL += groups.types.specs + groups.groups.specs + group_snapshots.routes.specs
