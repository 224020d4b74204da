"""The page shell every page extends: its icon is named and served (a browser asks for one on every page)."""

from __future__ import annotations


def test_every_page_names_an_icon_that_is_served(client):
    page = client.get("/thu-tuc")
    assert '<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">' in page.text
    icon = client.get("/static/favicon.svg")
    assert icon.status_code == 200 and icon.headers["content-type"].startswith("image/svg+xml")
    assert icon.text.startswith("<svg")


def test_the_header_menu_holds_the_public_services_and_the_footer_every_public_page(client):
    from smartcity.web.templating import PLACES, public_links

    assert {link.get("place", "main") for link in public_links()} <= set(PLACES)
    page = client.get("/thu-tuc").text
    menu = page.split('class="main-nav"')[1].split("</nav>")[0]
    footer = page.split('class="site-footer"')[1]
    for href in ("/thu-tuc", "/tra-cuu", "/phan-anh", "/du-lieu-mo"):
        assert f'href="{href}"' in menu and f'href="{href}"' in footer
    for href in ("/ho-so", "/suc-khoe", "/con-toi", "/canh-bao", "/moi-truong", "/cong-trinh", "/dich-benh"):
        # the person's own pages, the city's information
        assert f'href="{href}"' not in menu and f'href="{href}"' in footer
    assert ">Thông tin đô thị<" in footer and ">Cá nhân<" in footer
    english = client.get("/thu-tuc?lang=en").text.split('class="site-footer"')[1]
    assert ">City information<" in english and ">Personal<" in english
    assert english.count("My space") == 1  # the heading does not repeat its first link


def test_the_footer_offers_a_citizens_own_pages_to_citizens_not_to_staff():
    from types import SimpleNamespace

    from smartcity.web.templating import ENVIRONMENT, links_by_place

    def footer(user: object) -> str:
        page = ENVIRONMENT.get_template("base.html").render(
            _=lambda s: s, locale="vi", public_links=links_by_place(), user=user, csrf_token=""
        )
        return page.split('class="site-footer"')[1]

    citizen = SimpleNamespace(is_staff=False, display_name="Nguyễn Văn An")
    officer = SimpleNamespace(is_staff=True, display_name="Trần Thị Bình")
    for shown in (footer(None), footer(citizen)):
        assert ">Cá nhân<" in shown and 'href="/ho-so"' in shown
    staff = footer(officer)
    assert ">Cá nhân<" not in staff and 'href="/ho-so"' not in staff and 'href="/suc-khoe"' not in staff
    assert 'href="/thu-tuc"' in staff  # the public services stay


def test_each_domains_scripts_and_styles_are_served_from_its_own_static_folder(client):
    from smartcity.web.app import domain_static_folders

    folders = dict(domain_static_folders())
    assert {"feedback", "gis", "ioc", "portal", "lighting", "iot", "city"} <= set(folders)
    for domain, folder in folders.items():
        for path in folder.iterdir():
            served = client.get(f"/{domain}/static/{path.name}")
            assert served.status_code == 200, path
            kind = "text/javascript" if path.suffix == ".js" else "text/css"
            assert served.headers["content-type"].startswith(kind) and served.content == path.read_bytes()
    assert client.get("/ioc/static/nothing.js").status_code == 404
    assert client.get("/ioc/static/%2e%2e/views.py").status_code == 404  # nothing outside the folder
    # a script that lived among web's before moves permanently to its domain
    moved = client.get("/static/js/lighting-map.js", follow_redirects=False)
    assert moved.status_code == 308 and moved.headers["location"] == "/lighting/static/lighting-map.js"
