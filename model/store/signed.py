"""The revision store as one person may use it: reads pass through, every write first
checks that person's role and is authored by them, whatever the caller passed.

The app and the command hand pages and use cases this instead of the bare store, so a
write refused here is refused whatever button, widget or request asked for it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

from model.core.feedback import Feedback
from model.store.access import Actor
from model.store.revisions import RevisionStore

# every store method that writes -> the action it needs (model.store.access.ACTIONS)
WRITES = {
    "save": "save",
    "restore": "restore",
    "make_live": "make_live",
    "set_shadow": "shadow",
    "add_feedback": "feedback",
    "set_feedback_reasons": "feedback_reasons",
    "record_review": "review",
    "save_calibration": "calibration",
    "set_role": "roles",
    "create_api_key": "api_keys",
    "revoke_api_key": "api_keys",
}
AUTHOR_ARGUMENT = {"record_review": "reviewer"}  # the others call it `author`


class SignedStore:
    """A RevisionStore seen through one actor. With sign-in, the role is read from the
    store again at every write, so a role taken away stops the next write at once."""

    def __init__(self, store: RevisionStore, actor: Actor) -> None:
        self.store = store
        self.actor = actor

    def current(self) -> Actor:
        """The actor with the role the store holds now (a local actor keeps its own)."""
        if self.actor.local:
            return self.actor
        role = self.store.role_of(self.actor.email)
        return Actor(self.actor.email, self.actor.name, role)

    def require(self, action: str) -> Actor:
        """Refuse (access.Forbidden) unless the actor may do `action` now."""
        actor = self.current()
        actor.require(action)
        return actor

    def __getattr__(self, name: str) -> Any:
        found = getattr(self.store, name)
        if name not in WRITES:
            return found
        return self._signed(name, found)

    def _signed(self, name: str, write: Callable[..., Any]) -> Callable[..., Any]:
        def signed(*args: Any, **kwargs: Any) -> Any:
            actor = self.require(WRITES[name])
            decision = kwargs.get("decision")
            if decision is not None and decision.verdict == "override":
                actor.require("override")
            kwargs[AUTHOR_ARGUMENT.get(name, "author")] = actor.email
            if name == "add_feedback" and not actor.local:
                args = (args[0], [_entered_by(row, actor.email) for row in args[1]], *args[2:])
            return write(*args, **kwargs)

        return signed


def _entered_by(row: Feedback, email: str) -> Feedback:
    """A verdict authored by the signed-in user who enters it; a rep the file names is
    kept in the note, so the import cannot write in anyone else's name."""
    if not row.author or row.author.strip().lower() == email:
        return replace(row, author=email)
    return replace(row, author=email, note=f"rep: {row.author}. {row.note}".strip())
