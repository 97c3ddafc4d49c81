"""Lead Scoring Studio: the router, and the sidebar every page shares."""

import streamlit as st

from ui import caches, sidebar, state

st.set_page_config(page_title="Lead Scoring Studio", page_icon=":dart:", layout="wide")
state.init_state(caches.store())
state.keep_widget_values()
page = st.navigation(
    [
        st.Page("pages/model.py", title="Model", icon=":material/edit_note:", default=True),
        st.Page("pages/replay.py", title="Replay", icon=":material/history:"),
        st.Page("pages/thresholds.py", title="Thresholds", icon=":material/tune:"),
        st.Page("pages/calibration.py", title="Calibration", icon=":material/percent:"),
        st.Page("pages/revisions.py", title="Revisions", icon=":material/view_column:"),
        st.Page("pages/sources.py", title="Sources", icon=":material/hub:"),
        st.Page("pages/data.py", title="Data", icon=":material/upload_file:"),
    ]
)
sidebar.draw()
sidebar.presentation()
sidebar.review_banner()
page.run()
