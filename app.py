"""Lead Scoring Studio: the router, and the sidebar every page shares."""

import sys

import streamlit as st

st.set_page_config(
    page_title="Lead Scoring Studio",
    page_icon=":dart:",
    layout="wide",
    # folded away while presenting: the room sees the page, the arrow opens the sidebar
    initial_sidebar_state="collapsed" if st.session_state.get("presentation") else "auto",
)
# On a cold server the first imports (numba, pandas, plotly) take seconds: say so at once
# instead of a grey page.
with st.spinner("Starting the scoring engine (the first visit after a start only)…"):
    launcher = sys.modules.get("ui.launch")  # `make run` imports the modules at its start
    if launcher is not None:
        launcher.imported.wait()
    from ui import caches, identity, sidebar, state, timing

timing.mark("app")

store = caches.bare_store()
allowed = identity.allowed(store)  # with sign-in configured: signed in, with a role
page = st.navigation(
    [
        st.Page("pages/model.py", title="Model", icon=":material/edit_note:", default=True),
        st.Page("pages/replay.py", title="Replay", icon=":material/history:"),
        st.Page("pages/thresholds.py", title="Thresholds", icon=":material/tune:"),
        st.Page("pages/calibration.py", title="Calibration", icon=":material/percent:"),
        st.Page("pages/revisions.py", title="Revisions", icon=":material/view_column:"),
        st.Page("pages/models.py", title="Models", icon=":material/stacks:"),
        st.Page("pages/leads.py", title="Leads", icon=":material/timeline:"),
        st.Page("pages/accounts.py", title="Accounts", icon=":material/domain:"),
        st.Page("pages/feedback.py", title="Feedback", icon=":material/thumbs_up_down:"),
        st.Page("pages/sources.py", title="Sources", icon=":material/hub:"),
        st.Page("pages/data.py", title="Data", icon=":material/upload_file:"),
        st.Page("pages/team.py", title="Team", icon=":material/group:"),
    ],
    position="sidebar" if allowed else "hidden",
)
if not allowed:
    identity.gate(store)  # the sign-in, or who to ask for a role; nothing else
state.init_state(caches.store())
sidebar.draw()
sidebar.presentation()
sidebar.review_banner()
try:
    page.run()
except identity.Forbidden as refused:  # a write the role does not allow, whatever asked for it
    identity.refused(refused)
caches.warm_up()
