"""Login and roles in the app: who is using it, which pages they get, what they may do.

A login is asked whenever the app listens beyond localhost or ``MATCHER_AUTH=on`` (`matcher.auth.login_required`),
with a password (Argon2 hashes in the records) or, when ``[auth]`` is configured in Streamlit's secrets, through
the identity provider with `st.login` (the e-mail it gives must belong to an active user of the records). Roles
are enforced here, on the server: `pages_for` keeps only the pages the role may open, so that the others never
run, and `require` stops any action the role may not take.
"""

from __future__ import annotations

import streamlit as st

from matcher.auth import LOCAL_USER, authenticate, can, client_address, login_required, may_open
from matcher.store.records import UserRecord
from ui.components import records
from ui.components.i18n import add_labels, t

ACCESS_LABELS: dict[str, tuple[str, str]] = {
    "login_title": ("Log in", "Connexion"),
    "login_intro": ("This app holds personal data: log in to continue.",
                    "Cette application contient des données personnelles : connectez-vous pour continuer."),
    "login_name": ("User name", "Nom d'utilisateur"),
    "login_password": ("Password", "Mot de passe"),
    "login_submit": ("Log in", "Se connecter"),
    "login_failed": ("Wrong name or password, or the account is disabled.",
                     "Nom ou mot de passe incorrect, ou compte désactivé."),
    "login_sso": ("Log in with your organisation's account", "Se connecter avec le compte de votre organisation"),
    "login_sso_unknown": ("This account is not a user of the matcher: ask a coordinator to add it.",
                          "Ce compte n'est pas un utilisateur de l'outil : demandez à un coordinateur de l'ajouter."),
    "login_no_users": ("No user exists yet. On the server, create one with `matcher users add NAME --role "
                       "coordinator`.",
                       "Aucun utilisateur n'existe encore. Sur le serveur, créez-en un avec `matcher users add NOM "
                       "--role coordinator`."),
    "login_store_down": ("The records cannot be opened ({kind}): nobody can log in until they can.",
                         "Les enregistrements ne peuvent pas être ouverts ({kind}) : personne ne peut se connecter "
                         "tant qu'ils ne le sont pas."),
    "logout": ("Log out", "Se déconnecter"),
    "signed_in_as": ("Signed in as {name} ({role})", "Connecté en tant que {name} ({role})"),
    "role_coordinator": ("coordinator", "coordinateur"),
    "role_ngo": ("NGO", "association"),
    "role_researcher": ("researcher", "chercheur"),
    "not_allowed": ("Your role may not do this.", "Votre rôle ne permet pas cette action."),
}
add_labels(ACCESS_LABELS)


def _address() -> str | None:
    try:
        value = st.get_option("server.address")
    except Exception:  # an option Streamlit does not know: treat the app as served
        return None
    return str(value) if value else None


def client() -> str:
    """The address the browser connects from (Streamlit's own, which a remote client cannot choose)."""
    try:
        return client_address(st.context.ip_address)
    except Exception:  # no script context (bare mode): this machine
        return client_address(None)


def login_needed() -> bool:
    return login_required(_address())


def _sso_configured() -> bool:
    try:
        return "auth" in st.secrets
    except Exception:  # no secrets file at all
        return False


def user() -> UserRecord | None:
    return st.session_state.get("user")


def signed_in() -> UserRecord:
    """The user of this session, for pages and their actions (`gate` lets a user in before any page runs)."""
    u = user()
    if u is None:  # never after `gate`: refuse rather than act for nobody
        st.error(t("not_allowed"))
        st.stop()
    return u


def role() -> str:
    u = user()
    return u.role if u is not None else ""


def gate() -> UserRecord:
    """The user of this session: the local coordinator on localhost, else a logged-in user; else stop the page.

    The user's record is read again on every script run, so that disabling an account takes effect at once.
    """
    if not login_needed():
        st.session_state["user"] = LOCAL_USER
        return LOCAL_USER
    current = user()
    if current is not None and current.name != LOCAL_USER.name:
        fresh = _reload(current.name)
        if fresh is not None:
            st.session_state["user"] = fresh
            return fresh
        _forget()
    if _sso_configured() and getattr(st.user, "is_logged_in", False):
        found = _sso_user()
        if found is not None:
            st.session_state["user"] = found
            return found
        st.error(t("login_sso_unknown"))
        st.button(t("logout"), on_click=st.logout, key="sso_logout")
        st.stop()
    _login_form()
    st.stop()
    raise AssertionError("unreachable")  # st.stop() raises


def _reload(name: str) -> UserRecord | None:
    try:
        found = records.store().user(name)
    except Exception:
        return None
    return found if found is not None and found.active else None


def _sso_user() -> UserRecord | None:
    email = str(getattr(st.user, "email", "") or "").strip()
    if not email:
        return None
    found = _reload(email)
    if found is not None:
        records.log(found.name, "login.sso", f"user:{found.name}", role=found.role)
    return found


def _forget() -> None:
    for key in list(st.session_state.keys()):
        del st.session_state[key]


def _login_form() -> None:
    st.title(t("login_title"))
    st.caption(t("login_intro"))
    try:
        store = records.store()
        has_users = store.has_users()
    except Exception as exc:
        st.error(t("login_store_down", kind=type(exc).__name__))
        return
    if not has_users:
        st.warning(t("login_no_users"))
        return
    if _sso_configured():
        st.button(t("login_sso"), on_click=st.login, key="sso_login", type="primary")
        st.divider()
    with st.form("login", clear_on_submit=True):
        name = st.text_input(t("login_name"), key="login_name", max_chars=200)
        password = st.text_input(t("login_password"), type="password", key="login_password", max_chars=1024)
        submitted = st.form_submit_button(t("login_submit"), type="primary")
    if submitted:
        found = authenticate(store, name or "", password or "", client=client())
        if found is None:
            st.error(t("login_failed"))
            return
        st.session_state["user"] = found
        st.rerun()


def logout() -> None:
    u = user()
    if u is not None:
        records.log(u.name, "logout", f"user:{u.name}")
    _forget()
    if _sso_configured() and getattr(st.user, "is_logged_in", False):
        st.logout()


def sidebar() -> None:
    """Who is signed in, and a logout button, when there is a login."""
    u = user()
    if u is None or u.name == LOCAL_USER.name:
        return
    st.caption(t("signed_in_as", name=u.name, role=t(f"role_{u.role}")))
    st.button(t("logout"), on_click=logout, key="logout")


def pages_for(pages: list[st.Page]) -> list[st.Page]:
    """Only the pages the user's role may open (the others never run, whatever the URL)."""
    r = role()
    # `url_path` is "" for the default page; the path it was declared with is what names it.
    return [p for p in pages if may_open(r, getattr(p, "_url_path", None) or p.url_path)]


def allows(action: str) -> bool:
    return can(role(), action)


def require(action: str) -> None:
    """Stop the script when the role may not take `action` (a forged request included)."""
    if not allows(action):
        st.error(t("not_allowed"))
        st.stop()
