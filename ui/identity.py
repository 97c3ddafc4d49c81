"""Who is using the app. With an OpenID Connect provider in `.streamlit/secrets.toml`
(Streamlit's `st.login`), every page needs a signed-in user with a role kept in the store;
without one the app runs local and single-user, the author typed in "Your name", and says so.
"""

from __future__ import annotations

import time

import streamlit as st

from model.store.access import ACTIONS, ROLE_ACTIONS, Actor, Forbidden
from model.store.revisions import RevisionStore
from model.store.signed import SignedStore

LOCAL_NOTE = (
    "Local and single-user: no sign-in is configured, so whoever opens this page may save "
    "and make revisions live."
)


def auth_configured() -> bool:
    """Whether `.streamlit/secrets.toml` names an OpenID Connect provider ([auth])."""
    try:
        return "auth" in st.secrets
    except Exception:  # noqa: BLE001 - no secrets file at all, or one that does not parse
        return False


def signed_in() -> bool:
    return bool(st.user.get("is_logged_in"))


def actor(store: RevisionStore | None) -> Actor:
    """The person at the keyboard: the signed-in user with their stored role, or, running
    local, whoever typed their name (an approver: there is nobody else to ask)."""
    if not auth_configured():
        name = str(st.session_state.get("author", "")).strip()
        return Actor(name, name, "approver", local=True)
    email = str(st.user.get("email") or st.user.get("sub") or "").strip().lower()
    name = str(st.user.get("name") or email)
    return Actor(email, name, _role(store, email))


ROLE_SECONDS = 2.0  # a page's many "may I?" checks read the role once; writes re-read it


def _role(store: RevisionStore | None, email: str) -> str | None:
    """The stored role of `email`, read at most once every ROLE_SECONDS per session."""
    if store is None or not email:
        return None
    kept = st.session_state.get("_role_read")
    now = time.monotonic()
    if kept and kept[0] == email and now - kept[2] < ROLE_SECONDS:
        return kept[1]
    role = store.role_of(email)
    st.session_state["_role_read"] = (email, role, now)
    return role


def signed(store: RevisionStore | None) -> SignedStore | None:
    """The store as the person at the keyboard may use it."""
    return None if store is None else SignedStore(store, actor(store))


def author() -> str:
    """The author of the next write: the signed-in e-mail, or the name typed locally."""
    if auth_configured():
        return str(st.user.get("email") or "").strip().lower()
    return str(st.session_state.get("author", "")).strip()


def why_not(action: str, store: RevisionStore | None, *, named: bool = True) -> str | None:
    """What stands in the way of `action`: no name typed (running local, when the write
    is `named`), or the role it needs; None when nothing does."""
    who = actor(store)
    if named and who.local and not who.email:
        return "Type your name first, so the team knows who did it."
    if not who.can(action):
        return f"Needs the {ACTIONS[action]} role; you have {who.role or 'none'}."
    return None


def write_button(label: str, action: str, store, *, key: str, help: str | None = None) -> bool:
    """A button that writes: disabled, saying why, while the role or a typed name is
    missing (the store checks the role again when it writes)."""
    blocked = why_not(action, store)
    return st.button(label, key=key, disabled=bool(blocked), help=blocked or help)


def name_box(placeholder: str, where=st) -> None:
    """'Your name' when running local; with sign-in, who is signed in and as what."""
    if not auth_configured():
        from ui import state

        where.text_input("Your name", **state.kept("author"), placeholder=placeholder)
        return
    where.caption(f"Signed in as **{author()}**")


def require(action: str) -> None:
    """Refuse (Forbidden) a write outside the store unless the role, read afresh, allows it."""
    from ui import caches

    found = caches.bare_store()
    if found is not None:
        SignedStore(found, actor(found)).require(action)
    elif auth_configured():
        raise Forbidden("the revision store that keeps roles cannot be opened")


def refused(exc: Forbidden, where=st) -> None:
    where.error(f"Refused: {exc}.")


def allowed(store: RevisionStore | None) -> bool:
    """Whether the visitor may see the pages: running local, or signed in with a role."""
    return not auth_configured() or (signed_in() and actor(store).role is not None)


def gate(store: RevisionStore | None) -> None:
    """Show the sign-in, or who to ask for a role, and stop the script."""
    if not signed_in():
        _sign_in_page()
        st.stop()
    who = actor(store)
    if who.role is None:  # (also when the store that keeps roles cannot be opened)
        st.title("Lead Scoring Studio")
        st.warning(
            f"You are signed in as **{who.email}**, but nobody has given this address a role "
            "yet. Ask an approver to add you (or your domain) on the Team page."
        )
        if st.button("Sign out"):
            sign_out()
    st.stop()


def _sign_in_page() -> None:
    st.title("Lead Scoring Studio")
    st.write("Sign in to tune, replay and review the team's lead-scoring models.")
    if st.button("Sign in", type="primary", key="sign_in"):
        st.login()


def sidebar_line(store: RevisionStore | None) -> None:
    """Who is signed in and with which role, and a way out; or that the app runs local."""
    if not auth_configured():
        st.caption("Local and single-user: no sign-in configured (see the Team page).")
        return
    who = actor(store)
    may = ROLE_ACTIONS[who.role]
    st.caption(f"**{who.name}** ({who.email}): {who.role}. {may[0].upper()}{may[1:]}.")
    if st.button("Sign out", key="sign_out"):
        sign_out()


def sign_out() -> None:
    """Sign out and end this run at once: st.logout only queues the browser's redirect to
    the route that clears the sign-in cookie, and a rerun started before the queue is sent
    (the router reruns a signed-out page) clears the queue, redirect and all."""
    st.logout()
    st.stop()
