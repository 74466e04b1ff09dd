"""The browser app for coordinators and NGOs (Streamlit). It calls the `matcher` library only."""
