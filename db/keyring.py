"""The keys that encrypt the secrets ember keeps in its database, and the column type that uses them.

A secret column (``EncryptedString``) encrypts what is written with the first key (Fernet:
AES-128-CBC and HMAC-SHA256) and decrypts what is read with any key, so the rest of the code
sees plaintext records and the database holds ``fernet:<token>``. A value without that prefix
is a plaintext left from before encryption: it is read as it is, and ``ember-manage keys rotate``
encrypts it. The keys come from ``[keys] secret_keys``, else ``[keys] secret_key_file``, else a
key generated once into ``$state_path/secret_keys`` (the embedded default). ``db.session.configure``
loads them for the process.
"""

from __future__ import annotations

import base64
import functools
import logging
import os
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from oslo_config import cfg
from sqlalchemy import String
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator

from common import config
from db.errors import SecretKeyError

if TYPE_CHECKING:
    from cryptography.fernet import Fernet

log = logging.getLogger(__name__)

PREFIX = "fernet:"
GENERATED_FILE = "secret_keys"
_FERNET_KEY_BYTES = 32


# Every write encrypts afresh, so a token stands for one export: the tokens a process keeps
# reading (list pages, the volume service's export checks) are decrypted once.
_DECRYPTED_CACHE = 4096


@dataclass(frozen=True)
class Keyring:
    """The process's keys, checked when loaded; cryptography is imported at the first secret read or written
    (most processes never touch one: ~8 MiB resident saved in each)."""

    keys: tuple[bytes, ...]  # Fernet keys (url-safe base64 of 32 bytes), the first encrypts
    source: str  # where the keys came from, as an operator would look for them

    def __post_init__(self) -> None:
        if not self.keys:
            raise SecretKeyError(f"{self.source} holds no key")

    @functools.cached_property
    def _fernets(self) -> tuple[Fernet, ...]:
        from cryptography.fernet import Fernet

        return tuple(Fernet(key) for key in self.keys)

    @functools.cached_property
    def _decrypt_token(self) -> Callable[[bytes], bytes]:
        from cryptography.fernet import MultiFernet

        return functools.lru_cache(maxsize=_DECRYPTED_CACHE)(MultiFernet(list(self._fernets)).decrypt)

    def encrypt(self, plaintext: str) -> str:
        return PREFIX + self._fernets[0].encrypt(plaintext.encode()).decode()

    def decrypt(self, stored: str) -> str:
        """The plaintext of a stored value (a plaintext from before encryption is returned as it is)."""
        from cryptography.fernet import InvalidToken

        if not stored.startswith(PREFIX):
            return stored
        try:
            return self._decrypt_token(stored[len(PREFIX):].encode()).decode()
        except InvalidToken:
            raise SecretKeyError(
                f"a secret in the database cannot be decrypted with any key of {self.source}: every ember "
                "process must be given the same keys ([keys] secret_keys or secret_key_file), the one that "
                "encrypted it included") from None

    def is_current(self, stored: str) -> bool:
        """True if ``stored`` is encrypted with the first key (what a rotation leaves)."""
        from cryptography.fernet import InvalidToken

        if not stored.startswith(PREFIX):
            return False
        try:
            self._fernets[0].decrypt(stored[len(PREFIX):].encode())
        except InvalidToken:
            return False
        return True


def generate_key() -> str:
    return base64.urlsafe_b64encode(os.urandom(_FERNET_KEY_BYTES)).decode()  # as Fernet.generate_key()


def _checked(key: str) -> bytes:
    """``key`` as Fernet takes it, after the check Fernet makes (32 url-safe base64-encoded bytes)."""
    encoded = key.strip().encode()
    if len(base64.urlsafe_b64decode(encoded)) != _FERNET_KEY_BYTES:
        raise ValueError("not 32 bytes")
    return encoded


def from_keys(keys: list[str], source: str) -> Keyring:
    try:
        return Keyring(tuple(_checked(key) for key in keys), source)
    except (ValueError, TypeError):  # binascii.Error is a ValueError
        raise SecretKeyError(f"{source} holds something that is not a Fernet key (32 url-safe base64-encoded "
                             "bytes; `ember-manage keys generate` prints one)") from None


def from_conf(conf: cfg.ConfigOpts) -> Keyring:
    keys = conf["keys"]
    if keys.secret_keys:
        return from_keys(list(keys.secret_keys), "[keys] secret_keys")
    if keys.secret_key_file:
        path = os.path.expanduser(keys.secret_key_file)
        return from_keys(_read(path, option="[keys] secret_key_file"), f"[keys] secret_key_file ({path})")
    path = os.path.join(config.state_path(conf), GENERATED_FILE)
    _generate_once(path)
    return from_keys(_read(path, option=path), f"{path} (generated: [keys] secret_keys is not set)")


def _read(path: str, *, option: str) -> list[str]:
    try:
        with open(path, encoding="ascii") as file:
            lines = [line.strip() for line in file]
    except (OSError, UnicodeDecodeError) as error:
        raise SecretKeyError(f"cannot read the keys of {option}: {error}") from None
    return [line for line in lines if line and not line.startswith("#")]


def _generate_once(path: str) -> None:
    """Write a new key to ``path`` unless it exists; processes starting at once all end up with one key."""
    if os.path.exists(path):
        return
    staged = f"{path}.{uuid.uuid4().hex}.new"
    fd = os.open(staged, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as file:
        file.write(generate_key() + "\n")
        file.flush()
        os.fsync(file.fileno())
    try:
        os.link(staged, path)  # atomic, and fails if another process got there first
        log.warning("generated the key that encrypts secrets at rest in %s; ember processes on other hosts "
                    "need the same key: set [keys] secret_keys (or secret_key_file) on each", path)
    except FileExistsError:
        pass
    finally:
        os.unlink(staged)


_keyring: Keyring | None = None


def configure(keyring: Keyring) -> None:
    global _keyring
    _keyring = keyring


def current() -> Keyring:
    if _keyring is None:
        raise RuntimeError("db.session.configure() was not called: no keys for the secrets at rest")
    return _keyring


class EncryptedString(TypeDecorator[str]):
    """A string column whose values are kept encrypted with the process's keyring."""

    impl = String
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> str | None:
        return None if value is None else current().encrypt(str(value))

    def process_result_value(self, value: Any, dialect: Dialect) -> str | None:
        return None if value is None else current().decrypt(str(value))
