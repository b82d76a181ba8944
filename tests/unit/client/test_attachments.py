"""What the attachment commands print: the CHAP secret masked wherever connection_info holds it."""

from __future__ import annotations

from client.commands.attachments import MASK, masked


def test_the_chap_secret_is_masked_in_a_flat_and_in_a_nested_connection_info() -> None:
    flat = {"connection_info": {"driver_volume_type": "iscsi", "auth_password": "s3cret", "target_lun": 1}}
    nested = {"connection_info": {"driver_volume_type": "iscsi", "data": {"auth_password": "s3cret"}}}
    assert masked(flat, reveal=False)["connection_info"] == {"driver_volume_type": "iscsi", "auth_password": MASK,
                                                             "target_lun": 1}
    assert masked(nested, reveal=False)["connection_info"]["data"]["auth_password"] == MASK
    assert masked(flat, reveal=True)["connection_info"]["auth_password"] == "s3cret"
