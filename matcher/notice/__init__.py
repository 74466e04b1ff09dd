"""Decision notices: what a family, or a commune, is owed about a placement proposed with the help of this tool.

A family's notice (French law: code des relations entre le public et l'administration, L311-3-1 and R311-3-1-2;
GDPR art. 22) says that an algorithmic treatment helped prepare the proposal and for what purpose, gives the
criteria and their weights in the policy used, the family's data that they used (needs, never a condition), how
they applied (the score by component in words, the rules that kept other communes out, or why no commune could
take the family), that a person decides, and how to ask for a review. A commune's notice lists the families
proposed to it with what it is asked to provide, and nothing of any other commune.

:mod:`~matcher.notice.content` says what a notice holds, in no language; :mod:`~matcher.notice.pdf` writes it from
the catalogs of :mod:`~matcher.notice.catalog` (``matcher/notice/messages/fr.toml`` and ``en.toml``).
"""

from __future__ import annotations

from matcher.notice.catalog import LANGS, CatalogError
from matcher.notice.content import CommuneNotice, FamilyNotice, NoticeError, commune_notice, family_notice
from matcher.notice.pdf import commune_pdf, family_pdf

__all__ = ["LANGS", "CatalogError", "CommuneNotice", "FamilyNotice", "NoticeError", "commune_notice", "commune_pdf",
           "family_notice", "family_pdf"]
