"""Shared plumbing of every ember process.

oslo.messaging pulls in eventlet (through oslo.service) even though ember runs on plain
threads; without this, eventlet's green DNS would load dnspython and more (~30 MiB per process),
and every start would print eventlet's deprecation warning, which is not about ember.
Both must be set before the first import of oslo.messaging, which every entry point does
after importing ``common``.
"""

import os
import warnings

os.environ.setdefault("EVENTLET_NO_GREENDNS", "yes")
warnings.filterwarnings("ignore", message=r"\s*Eventlet is deprecated", module=r"oslo_service\..*")
