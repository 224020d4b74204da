"""The page shell's layout: the person's links beside the site's name, the menu on a line of its own, and maps
whose credit of their sources sits under the map rather than over its lower edge."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

from smartcity.web.templating import ENVIRONMENT, links_by_place

STATIC = Path(__file__).resolve().parents[2] / "src" / "smartcity" / "web" / "static"


def _header(user: object) -> tuple[str, str]:
    """The header's group of the person's links and its main menu, for `user`."""
    page = ENVIRONMENT.get_template("base.html").render(
        _=lambda s: s, locale="vi", public_links=links_by_place(), user=user, csrf_token=""
    )
    header = page.split('class="site-header"')[1].split("</header>")[0]
    account, menu = header.split('class="main-nav"')
    return account.split('class="account"')[1], menu


def test_the_persons_links_and_the_language_stand_apart_from_the_main_menu():
    officer = SimpleNamespace(is_staff=True, display_name="Trần Thị Bình")
    account, menu = _header(officer)
    assert 'href="/can-bo"' in account and "Trần Thị Bình" in account and "Đăng xuất" in account
    assert "?lang=en" in account
    assert 'href="/can-bo"' not in menu and "Đăng xuất" not in menu and "?lang=en" not in menu
    assert 'href="/thu-tuc"' in menu and 'href="/"' in menu
    anonymous, menu = _header(None)
    assert 'href="/login"' in anonymous and 'href="/login"' not in menu


def test_the_menu_takes_a_line_of_its_own_under_the_name_and_the_persons_links():
    css = (STATIC / "css" / "site.css").read_text(encoding="utf-8")
    assert ".main-nav { flex-basis: 100%;" in css
    assert ".account {" in css


def test_a_maps_sources_fold_behind_its_button_and_stay_credited_under_the_map():
    script = (STATIC / "js" / "base-map.js").read_text(encoding="utf-8")
    assert "attributionControl: { compact: true }" in script, "a compact, folding credit on the map"
    assert 'classList.remove("maplibregl-compact-show")' in script, "folded from the start"
    assert "line.hidden = true" not in script, "the line under the map stays"
    legend = (STATIC.parent / "templates" / "_map_legend.html").read_text(encoding="utf-8")
    assert 'class="map-attribution"' in legend and "gis.chinhphu.vn" in legend
