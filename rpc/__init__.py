"""oslo.messaging for ember: transport, targets, the context serializer."""

import common  # noqa: F401 - its environment defaults must precede the first oslo.messaging import
