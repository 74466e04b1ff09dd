"""The notices' download names: made of safe characters only, whatever the ids typed by users."""

from __future__ import annotations

from ui.components.notice import _file_name


def test_download_names_keep_only_safe_characters():
    assert _file_name("avis", "C0001", "fr") == "avis_C0001_fr.pdf"
    assert _file_name("commune", '../<font size=40>"x"</font>', "en") == "commune__font_size_40_x_font__en.pdf"
    assert len(_file_name("avis", "x" * 500, "fr")) == len("avis__fr.pdf") + 60
