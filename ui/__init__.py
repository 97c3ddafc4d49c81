"""The app's Streamlit plumbing shared by the pages: session state, the sidebar, caches and
components. Pages use it; nothing under model/ does."""
