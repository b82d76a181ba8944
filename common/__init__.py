"""Shared plumbing of every ember process.

oslo.messaging pulls in eventlet (through oslo.service) even though ember runs on plain
threads; without this, eventlet's green DNS would load dnspython and more (~30 MiB per process).
It must be set before the first import of oslo.messaging, which every entry point does after
importing ``common``.
"""

import os

os.environ.setdefault("EVENTLET_NO_GREENDNS", "yes")
