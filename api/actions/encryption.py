"""Volume type encryption on the api side. ember has no key manager: a type's encryption specs are stored
and shown as Cinder does, but a volume of an encrypted type cannot be made (Cinder without a key manager
fails the same request later, in its volume service, with the volume in error)."""

from __future__ import annotations

from api.errors import BadRequest
from db import api as db
from db.records import VolumeType


def refuse_encrypted(volume_type: VolumeType) -> None:
    """A 400 if the type has encryption specs."""
    if db.type_encrypted(volume_type.id):
        raise BadRequest(f"Invalid volume type: volume type {volume_type.name} ({volume_type.id}) is encrypted, and "
                         "this deployment has no key manager to create the volume's encryption key; use a type "
                         "without encryption specs.")
