"""API keys: a JSON file of SHA-256 hashes with a role each; keys themselves are never stored.

A key is shown once, when it is made (``genad serve --new-key NAME --role score|admin``). A
request presents it as ``Authorization: Bearer <key>``; the server hashes it and compares the
hash with every stored hash in constant time.

Roles: ``score`` may list and score models; ``admin`` may also upload and delete them.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
import time
from dataclasses import dataclass
from pathlib import Path

from ..persistence import replaced_atomically

ROLES = ("score", "admin")
_RANK = {"score": 0, "admin": 1}
KEY_PREFIX = "gad_"


@dataclass(frozen=True)
class Key:
    name: str
    role: str
    sha256: str

    def allows(self, role: str) -> bool:
        return _RANK[self.role] >= _RANK[role]


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()


def _check_role(role: str) -> str:
    if role not in ROLES:
        raise ValueError(f"unknown role {role!r}; choose one of: {', '.join(ROLES)}")
    return role


def read_keys(path: str | os.PathLike) -> list[Key]:
    """Keys stored in ``path``; ValueError naming the problem if the file is malformed."""
    path = Path(path)
    try:
        doc = json.loads(path.read_text())
        rows = doc["keys"]
        keys = [Key(str(r["name"]), _check_role(r["role"]), str(r["sha256"]).lower()) for r in rows]
    except FileNotFoundError:
        raise
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ValueError(
            f"API key file {path} is not valid ({type(exc).__name__}: {exc}); it should hold "
            '{"keys": [{"name": ..., "role": "score"|"admin", "sha256": ...}]} as written by --new-key'
        ) from None
    for k in keys:
        if len(k.sha256) != 64 or any(c not in "0123456789abcdef" for c in k.sha256):
            raise ValueError(f"API key file {path}: key {k.name!r} has no valid SHA-256 hex digest")
    return keys


def new_key(path: str | os.PathLike, name: str, role: str) -> str:
    """Make a key, store its hash (file mode 0600, written atomically) and return the key."""
    _check_role(role)
    if not name or not name.strip():
        raise ValueError("--new-key needs a non-empty name, for example --new-key pipeline")
    path = Path(path)
    keys = read_keys(path) if path.exists() else []
    if any(k.name == name for k in keys):
        raise ValueError(f"a key named {name!r} already exists in {path}; choose another name")
    key = KEY_PREFIX + secrets.token_urlsafe(32)
    rows = [{"name": k.name, "role": k.role, "sha256": k.sha256} for k in keys]
    rows.append({"name": name, "role": role, "sha256": hash_key(key),
                 "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())})
    path.parent.mkdir(parents=True, exist_ok=True)
    with replaced_atomically(path) as tmp:
        with open(tmp, "w") as f:
            json.dump({"keys": rows}, f, indent=1)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o600)
    return key


class KeyStore:
    """The keys of one file, looked up in constant time per stored key."""

    def __init__(self, keys: list[Key]):
        self.keys = list(keys)

    @classmethod
    def from_file(cls, path: str | os.PathLike) -> "KeyStore":
        return cls(read_keys(path))

    def match(self, presented: str) -> Key | None:
        digest = hash_key(presented)
        found = None
        for k in self.keys:  # no early exit: the time does not depend on which key matched
            if hmac.compare_digest(digest, k.sha256):
                found = k
        return found
