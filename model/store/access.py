"""Who may do what: the three roles, the action each write needs, and the scoring API's
keys. Plain values, no I/O: the store keeps roles and key digests, the app and the API
check them on every write or call."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass

ROLES = ("viewer", "editor", "approver")
NO_ROLE = "none"  # a role row that takes a subject's access away

# what each role may do, on top of the roles below it
ROLE_ACTIONS = {
    "viewer": "read everything and download",
    "editor": "edit, save revisions, import models, datasets and feedback, save calibrations",
    "approver": "make revisions live, override the gate, record reviews, run shadows, "
    "manage roles and API keys",
}

# every write the store takes -> the least role that may do it
ACTIONS = {
    "save": "editor",
    "restore": "editor",
    "import_model": "editor",
    "feedback": "editor",
    "feedback_reasons": "editor",
    "calibration": "editor",
    "taxonomy": "editor",
    "save_dataset": "editor",
    "make_live": "approver",
    "override": "approver",
    "review": "approver",
    "shadow": "approver",
    "roles": "approver",
    "api_keys": "approver",
}

EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
DOMAIN = re.compile(r"^@?([a-z0-9-]+\.)+[a-z]{2,}$")


class Forbidden(PermissionError):
    """A write refused because the person acting lacks the role it needs."""


def rank(role: str | None) -> int:
    """0 for no role, then viewer < editor < approver."""
    return ROLES.index(role) + 1 if role in ROLES else 0


def subject_of(text: str) -> str:
    """A role's subject as the store keeps it: a lower-case e-mail, or '@domain' for every
    address of a domain. Anything else is refused, naming it."""
    text = (text or "").strip().lower()
    if EMAIL.match(text):
        return text
    if DOMAIN.match(text):
        return text if text.startswith("@") else f"@{text}"
    raise ValueError(
        f"{text!r} is neither an e-mail address (ann@acme.com) nor a domain (@acme.com)"
    )


def domain_of(email: str) -> str:
    """'@acme.com' for 'ann@acme.com'."""
    return "@" + email.rsplit("@", 1)[-1].lower()


@dataclass(frozen=True)
class Actor:
    """The person behind a request: their e-mail (the author of what they write), the name
    to greet them by, their role, and whether the app runs local and single-user."""

    email: str
    name: str
    role: str | None
    local: bool = False

    def can(self, action: str) -> bool:
        return rank(self.role) >= rank(ACTIONS[action])

    def require(self, action: str) -> None:
        """Refuse (Forbidden) an action this actor's role does not allow, saying which
        role it needs."""
        if not self.can(action):
            needed = ACTIONS[action]
            held = f"the {self.role} role" if self.role else "no role"
            raise Forbidden(
                f"{self.email} has {held}; {action.replace('_', ' ')} needs the {needed} role "
                "(an approver grants it on the Team page)"
            )


# ---------------------------------------------------------------------------- API keys

KEY_PREFIX = "lsk"


@dataclass(frozen=True)
class NewKey:
    """A key as created: `token` is shown once and never stored; `digest` is."""

    key_id: str
    token: str
    digest: str


def new_key() -> NewKey:
    """A random key 'lsk_<id>_<secret>'; the store keeps the id and the secret's SHA-256.
    The secret is 256 random bits, so a fast hash is enough (no password to stretch)."""
    key_id, secret = secrets.token_hex(4), secrets.token_urlsafe(32)
    return NewKey(key_id, f"{KEY_PREFIX}_{key_id}_{secret}", digest(secret))


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def split_key(token: str) -> tuple[str, str] | None:
    """(key id, secret) of a presented key, or None when it is not shaped like one."""
    parts = (token or "").strip().split("_", 2)
    if len(parts) != 3 or parts[0] != KEY_PREFIX or not parts[1] or not parts[2]:
        return None
    return parts[1], parts[2]


def matches(secret: str, stored_digest: str) -> bool:
    """Compare in constant time, so timing tells nothing about the digest."""
    return hmac.compare_digest(digest(secret), stored_digest)
