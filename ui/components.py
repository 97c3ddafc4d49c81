"""Pieces more than one page draws: leak warnings, the band table, the lead look-up."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from model.analysis import suggest


def leak_warnings(flags: pd.DataFrame) -> None:
    for line in suggest.leak_lines(flags):
        st.warning(line, icon=":material/warning:")
