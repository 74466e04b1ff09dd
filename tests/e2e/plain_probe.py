"""A Streamlit script for `test_plain_text.py`: Markdown, HTML and Streamlit syntax pointing at a local listener
(port in ``PROBE_PORT``), passed through `plain` into every kind of element that renders Markdown."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import streamlit as st

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from payloads import joined  # `streamlit run` puts this folder on sys.path

from ui.components.text import plain

HOST = f"http://127.0.0.1:{os.environ['PROBE_PORT']}"
#: What every element must show.
TEXT = joined(HOST)
# `?raw=1` shows the text unescaped in one button: the test's control, that the listener sees what leaks.
LABEL = TEXT if st.query_params.get("raw") else plain(TEXT)
if st.query_params.get("raw"):
    st.button(LABEL, key="raw")
    st.text("probe ready")
    st.stop()

st.button(LABEL, key="button")
st.download_button(LABEL, data=b"x", file_name="x.txt", key="download", on_click="ignore")
st.checkbox(LABEL, key="checkbox")
st.toggle(LABEL, key="toggle")
st.radio(LABEL, [LABEL, "other"], key="radio")
st.selectbox(LABEL, ["option"], key="selectbox")
st.multiselect(LABEL, ["option"], key="multiselect")
st.text_input(LABEL, key="text_input")
st.number_input(LABEL, key="number_input")
st.markdown(LABEL)
st.caption(LABEL)
st.subheader(LABEL, anchor=False)
st.info(LABEL)
st.success(LABEL)
st.warning(LABEL)
st.error(LABEL)
st.progress(0.5, text=LABEL)
with st.expander(LABEL, expanded=True):
    st.markdown("- " + LABEL)
st.tabs([LABEL, "other"])
st.metric(LABEL, LABEL, delta=LABEL)
with st.form("form"):
    st.form_submit_button(LABEL)
st.text("probe ready")
