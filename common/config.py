"""Loading ember.conf: register every option a process needs, then parse once.

Entry points call :func:`load`; nothing reads options at import time.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Sequence

from oslo_config import cfg

CONF = cfg.CONF

Registrar = Callable[[cfg.ConfigOpts], None]


def load(argv: Sequence[str] | None, registrars: Sequence[Registrar],
         conf: cfg.ConfigOpts = CONF, default_config_files: Sequence[str] | None = None) -> cfg.ConfigOpts:
    """Register the options of ``registrars`` on ``conf`` and parse ``argv``.

    oslo.messaging registers its own options on the same object, which is why the global
    ``cfg.CONF`` is the default: its tracing options exist only there.
    """
    from common import options as common_options

    for register in (common_options.register, *registrars):
        register(conf)
    if default_config_files is None:
        default_config_files = [p for p in ("/etc/ember/ember.conf",) if os.path.exists(p)]
    conf(list(sys.argv[1:] if argv is None else argv), project="ember", default_config_files=list(default_config_files))
    return conf


def state_path(conf: cfg.ConfigOpts = CONF) -> str:
    path = os.path.expanduser(conf.state_path)
    os.makedirs(path, exist_ok=True)
    return path
