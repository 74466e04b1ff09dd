"""The browser app: `streamlit run ui/app.py` (or `matcher ui`). Pages: Data, Policy, Match, Runs."""

from __future__ import annotations

import sys
from pathlib import Path

import streamlit as st

# `streamlit run` puts this folder on sys.path, not the project: make `ui` importable from a source tree too.
_ROOT = str(Path(__file__).resolve().parents[1])
if _ROOT not in sys.path:
    sys.path.insert(0, _ROOT)

from ui.components import a11y, access, records, solving, state  # noqa: E402
from ui.components import data as data_helpers  # noqa: E402
from ui.components.guard import guarded  # noqa: E402
from ui.components.i18n import LANGUAGES, lang, t  # noqa: E402

PAGES_DIR = Path(__file__).parent / "app_pages"

# "auto": the sidebar opens on a wide screen and stays closed on a phone, where it would cover the page.
st.set_page_config(page_title="Matcher", page_icon="🧭", layout="wide", initial_sidebar_state="auto")
state.init_state()
a11y.page_setup(lang())  # <html lang>, readable captions: before the login, which stops the script until done
access.gate()  # a login when the app is served beyond localhost; stops here until then

with guarded("startup"):
    if not st.session_state["sample_tried"]:
        st.session_state["sample_tried"] = True
        # The user's last scenario and runs come back after a reload; else the sample. Only for roles that
        # may see families' data.
        if access.allows("load_data") and not records.restore():
            data_helpers.load_sample()

with guarded("collect run"):
    solving.collect()  # a run that ended while the user was on another page is recorded all the same

with st.sidebar:
    st.radio(t("language"), list(LANGUAGES), format_func=LANGUAGES.get, horizontal=True, key="lang",
             on_change=state.remember_language)

pages = [
    st.Page(PAGES_DIR / "data.py", title=t("page_data"), icon=":material/table_view:", url_path="data",
            default=True),
    st.Page(PAGES_DIR / "policy.py", title=t("page_policy"), icon=":material/tune:", url_path="policy"),
    st.Page(PAGES_DIR / "match.py", title=t("page_match"), icon=":material/hub:", url_path="match"),
    st.Page(PAGES_DIR / "runs.py", title=t("page_runs"), icon=":material/history:", url_path="runs"),
    st.Page(PAGES_DIR / "policy_lab.py", title=t("page_policy_lab"), icon=":material/science:", url_path="policy-lab"),
]
pages += [
    st.Page(PAGES_DIR / "capacities.py", title=t("page_capacities"), icon=":material/home_work:",
            url_path="capacities"),
    st.Page(PAGES_DIR / "records.py", title=t("page_records"), icon=":material/fact_check:", url_path="records"),
]
page = st.navigation(access.pages_for(pages))  # the role's pages only: the others never run

with st.sidebar:
    st.caption(t("app_title"))
    if access.allows("load_data"):
        st.markdown(f"**{t('sidebar_scenario')}**")
        ds = state.dataset()
        if ds is None:
            st.caption(t("sidebar_no_data"))
        else:
            st.caption(t("sidebar_data", families=len(ds.cases), localities=len(ds.localities)))
        st.caption(t("sidebar_policy", name=state.policy().name))
        st.caption(t("sidebar_runs", n=len(state.runs())))
    access.sidebar()

flash = st.session_state.pop("records_flash", None)
if flash:
    getattr(st, flash[0])(flash[1])

with guarded(page.url_path or "page"):
    page.run()
