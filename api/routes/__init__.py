"""The route modules; ``ALL`` is every route the API serves, in matching order."""

from api.routes import (
                                            attachments,
                                            backends,
                                            backups,
                                            messages,
                                            quotas,
                                            snapshots,
                                            types,
                                            versions,
                                            volume_metadata,
                                            volumes,
                                            workers,
)
from api.spec import RouteSpec

ALL: list[RouteSpec] = [spec for module in (versions, volumes, volume_metadata, snapshots, attachments, types, quotas,
                                            backends, backups, messages, workers) for spec in module.routes.specs]
