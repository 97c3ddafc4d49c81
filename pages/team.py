"""Team: who may do what (roles per e-mail or domain) and the scoring API's keys.
Everyone sees both lists; only an approver changes them (the store checks it)."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from model.store.access import NO_ROLE, ROLE_ACTIONS, ROLES, Forbidden
from model.store.revisions import stamp
from model.store.signed import SignedStore
from ui import caches, components, identity, state

SECRETS_EXAMPLE = """[auth]
redirect_uri = "https://scoring.acme.com/oauth2callback"
cookie_secret = "a long random string"
client_id = "..."
client_secret = "..."
server_metadata_url = "https://login.acme.com/.well-known/openid-configuration"
"""


def _mode(store: SignedStore) -> None:
    who = store.actor
    if who.local:
        st.info(identity.LOCAL_NOTE)
        with st.expander("Set up sign-in for a team"):
            st.markdown(
                "Add your OpenID Connect provider (Okta, Entra ID, Google Workspace, Auth0, "
                "Keycloak…) to `.streamlit/secrets.toml` and restart. Every page then needs "
                "a signed-in user with a role, and every save, review and verdict is written "
                "under that user's e-mail. Give the first approver a role before you restart:"
                " `leadscore roles grant you@acme.com approver --author you`."
            )
            st.code(SECRETS_EXAMPLE, language="toml")
        return
    st.markdown(f"Signed in as **{who.name}** ({who.email}), **{who.role}**.")


def _roles(store: SignedStore) -> None:
    st.subheader("Roles")
    st.caption(
        " · ".join(f"**{r}**: {ROLE_ACTIONS[r]}" for r in ROLES)
        + ". A role given to @domain covers every address there; an address's own role wins."
    )
    held = store.roles()
    if held:
        rows = {
            "e-mail or domain": list(held),
            "role": [r for r, _, _ in held.values()],
            "given by": [a for _, a, _ in held.values()],
            "on": [stamp(t) for _, _, t in held.values()],
        }
        components.table(pd.DataFrame(rows))
    else:
        st.caption("No roles yet.")
    blocked = identity.why_not("roles", store.store)
    with st.form("role_form", clear_on_submit=True):
        left, right = st.columns([3, 1])
        subject = left.text_input("E-mail or @domain", key="role_subject")
        role = right.selectbox("Role", [*ROLES, NO_ROLE], key="role_pick")
        if st.form_submit_button("Save the role", disabled=bool(blocked), help=blocked):
            _grant(store, subject, role)
    if said := st.session_state.pop("team_message", None):
        getattr(st, said[0])(said[1])


def _grant(store: SignedStore, subject: str, role: str) -> None:
    try:
        kept = store.set_role(subject, role, author=identity.author())
    except (ValueError, Forbidden) as exc:
        st.session_state["team_message"] = ("error", f"Not saved: {exc}.")
    else:
        what = "has no role now" if role == NO_ROLE else f"is {role} now"
        st.session_state["team_message"] = ("success", f"{kept} {what}.")
    st.rerun()


def _keys(store: SignedStore) -> None:
    st.subheader("Scoring API keys")
    st.caption(
        "`leadscore serve` scores web leads in real time against each model's live revision; "
        "every call presents one of these keys. Only a key's fingerprint is kept: copy a new "
        "key when it is shown, it is never shown again."
    )
    if fresh := st.session_state.pop("new_key", None):
        st.success(f"Key {fresh[0]!r} created. Copy it now:")
        st.code(fresh[1], language=None)
    keys = store.api_keys()
    if keys:
        components.table(
            pd.DataFrame(
                {
                    "key": [k["key_id"] for k in keys],
                    "name": [k["name"] for k in keys],
                    "created by": [k["author"] for k in keys],
                    "created": [stamp(k["created_at"]) for k in keys],
                    "revoked": [stamp(k["revoked_at"]) if k["revoked_at"] else "" for k in keys],
                }
            )
        )
    blocked = identity.why_not("api_keys", store.store)
    left, right = st.columns(2)
    with left.form("key_form", clear_on_submit=True):
        name = st.text_input("New key's name", key="key_name", placeholder="website form")
        if st.form_submit_button("Create a key", disabled=bool(blocked), help=blocked):
            _create(store, name)
    working = [k["key_id"] for k in keys if k["revoked_at"] is None]
    with right.form("revoke_form"):
        pick = st.selectbox("Key to revoke", working, key="key_revoke_pick")
        if st.form_submit_button(
            "Revoke the key", disabled=bool(blocked) or not working, help=blocked
        ):
            _revoke(store, pick)


def _create(store: SignedStore, name: str) -> None:
    try:
        key = store.create_api_key(name, author=identity.author())
    except (ValueError, Forbidden) as exc:
        st.session_state["team_message"] = ("error", f"No key created: {exc}.")
    else:
        st.session_state["new_key"] = (name.strip(), key.token)
    st.rerun()


def _revoke(store: SignedStore, key_id: str) -> None:
    try:
        store.revoke_api_key(key_id, author=identity.author())
    except (ValueError, Forbidden) as exc:
        st.session_state["team_message"] = ("error", f"Not revoked: {exc}.")
    else:
        st.session_state["team_message"] = ("success", f"Key {key_id} is revoked.")
    st.rerun()


def main() -> None:
    state.require_router()
    st.title("Team")
    store = caches.store()
    if store is None:
        st.error(f"The revision store cannot be opened: {st.session_state.get('store_error')}.")
        return
    _mode(store)
    if store.actor.local:
        identity.name_box("who grants roles or creates keys")
    _roles(store)
    _keys(store)


main()
