"""WCAG 2.1 AA basics kept in a real headless Chromium, on a handful of public and staff pages.

An axe-core audit of the demo (its WCAG 2 A/AA rules) found the faults fixed with this test: muted text too
pale on the overdue rows' pink, progress bars and a select without a name, a scrolling feed not reachable by
keyboard, map containers labelled without a role. axe-core itself (650 KB) is not vendored; this test checks
the same properties directly: a language, one h1 and one main landmark, a name on every form control, button,
link, progress bar and map, an alt on every image, unique ids, a visible focus and a text contrast of 4.5:1.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from smartcity.core.security import Actor
from tests.support import chromium_page, run_once_on_sqlite, served

pytestmark = pytest.mark.browser

ADMIN_PASSWORD = "Browser-test-1"
PUBLIC_PAGES = ("/", "/login", "/thu-tuc", "/tra-cuu", "/phan-anh/gui")
STAFF_PAGES = ("/can-bo", "/can-bo/ho-so", "/ioc")

# What a person using a screen reader or a keyboard would miss on the page, one sentence per fault.
FAULTS = """() => {
  const faults = [];
  const text = (el) => (el ? (el.innerText || el.textContent || '').trim() : '');
  const shown = (el) => !!(el.offsetWidth || el.offsetHeight || el.getClientRects().length)
    && getComputedStyle(el).visibility !== 'hidden';
  const where = (el) => el.outerHTML.slice(0, 120);
  const byIds = (ids) => ids.split(/\\s+/).map((id) => text(document.getElementById(id))).join(' ').trim();
  const named = (el) => {
    if ((el.getAttribute('aria-label') || '').trim()) return true;
    if (el.getAttribute('aria-labelledby') && byIds(el.getAttribute('aria-labelledby'))) return true;
    if ((el.getAttribute('title') || '').trim()) return true;
    if (el.labels && Array.from(el.labels).some((label) => text(label))) return true;
    return false;
  };

  const lang = document.documentElement.getAttribute('lang') || '';
  if (!/^[a-z]{2}/.test(lang)) faults.push('no lang on <html>');
  if (!document.title.trim()) faults.push('no <title>');
  const h1s = document.querySelectorAll('h1').length;
  if (h1s !== 1) faults.push(h1s + ' h1 headings (one is expected)');
  const mains = document.querySelectorAll('main, [role=main]').length;
  if (mains !== 1) faults.push(mains + ' main landmarks (one is expected)');

  const seen = new Set();
  for (const el of document.querySelectorAll('[id]')) {
    if (seen.has(el.id)) faults.push('duplicate id ' + el.id);
    seen.add(el.id);
  }
  for (const el of document.querySelectorAll('input, select, textarea')) {
    const type = (el.getAttribute('type') || '').toLowerCase();
    if (['hidden', 'submit', 'button', 'reset', 'image'].includes(type)) continue;
    if (!named(el)) faults.push('a form control without a label: ' + where(el));
  }
  for (const el of document.querySelectorAll('button, a[href], [role=button], input[type=submit]')) {
    if (!shown(el)) continue;
    const value = el.tagName === 'INPUT' ? (el.value || '').trim() : '';
    const alts = Array.from(el.querySelectorAll('img[alt]')).map((img) => img.alt).join('').trim();
    if (!text(el) && !value && !alts && !named(el)) {
      faults.push('a button or link without a name: ' + where(el));
    }
  }
  for (const el of document.querySelectorAll('img')) {
    if (!el.hasAttribute('alt')) faults.push('an image without alt: ' + where(el));
  }
  for (const el of document.querySelectorAll('[role=progressbar], [role=meter], [role=region]')) {
    if (!named(el)) faults.push('a ' + el.getAttribute('role') + ' without a name: ' + where(el));
  }
  for (const el of document.querySelectorAll('.maplibregl-map, [id=map], [id$=-map], [id$=-pick]')) {
    if (el.getAttribute('role') !== 'region' || !named(el)) {
      faults.push('a map without a named region: ' + where(el));
    }
  }
  for (const el of document.querySelectorAll('div[aria-label], span[aria-label]')) {
    if (!el.getAttribute('role')) faults.push('aria-label on an element without a role: ' + where(el));
  }
  for (const table of document.querySelectorAll('table')) {
    if (table.getAttribute('role') === 'presentation') continue;
    if (!table.querySelector('th')) faults.push('a table without headers: ' + where(table));
  }

  // Text contrast (1.4.3): each element's own text against the first opaque background behind it.
  const rgb = (value) => (value.match(/[\\d.]+/g) || []).map(Number);
  const luminance = ([r, g, b]) => {
    const linear = (c) => (c / 255 <= 0.03928 ? c / 255 / 12.92 : ((c / 255 + 0.055) / 1.055) ** 2.4);
    return 0.2126 * linear(r) + 0.7152 * linear(g) + 0.0722 * linear(b);
  };
  const background = (el) => {
    for (let node = el; node; node = node.parentElement) {
      const style = getComputedStyle(node);
      if (style.backgroundImage !== 'none') return null;  // over a picture or a gradient: not judged here
      const colour = rgb(style.backgroundColor);
      if (colour.length === 3 || (colour.length === 4 && colour[3] === 1)) return colour.slice(0, 3);
      if (colour.length === 4 && colour[3] > 0) return null;  // translucent: not judged here
    }
    return [255, 255, 255];
  };
  for (const el of document.body.querySelectorAll('*')) {
    const own = Array.from(el.childNodes).some((n) => n.nodeType === 3 && n.textContent.trim());
    if (!own || !shown(el) || el.closest('.maplibregl-map, svg, option')) continue;
    const style = getComputedStyle(el);
    if (parseFloat(style.opacity) < 1) continue;
    const fg = rgb(style.color);
    if (fg.length === 4 && fg[3] < 1) continue;
    const bg = background(el);
    if (!bg) continue;
    const [a, b] = [luminance(fg.slice(0, 3)), luminance(bg)].sort((x, y) => y - x);
    const ratio = (a + 0.05) / (b + 0.05);
    const size = parseFloat(style.fontSize), bold = parseInt(style.fontWeight, 10) >= 700;
    const needed = size >= 24 || (bold && size >= 18.66) ? 3 : 4.5;
    if (ratio < needed - 0.01) {
      faults.push('contrast ' + ratio.toFixed(2) + ':1 of ' + style.color + ' on ' + bg + ': ' + where(el));
    }
  }
  return faults;
}"""

# A keyboard user sees where the focus is (2.4.7): the focused link has an outline or a box shadow.
FOCUS_SHOWN = """() => {
  const style = getComputedStyle(document.activeElement);
  return document.activeElement !== document.body
    && ((style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) > 0) || style.boxShadow !== 'none');
}"""


@pytest.fixture
def live_server(app, db) -> Iterator[str]:
    """The app served on a free loopback port, with the city loaded and an admin."""
    from smartcity.accounts.service import ensure_admin
    from smartcity.city.loader import load_city_pack

    run_once_on_sqlite(db, "the accessibility check")
    load_city_pack(db, pack="thu-dau-mot", actor=Actor.system("test"))
    ensure_admin(db, username="admin", password=ADMIN_PASSWORD)
    with served(app) as url:
        yield url


def faults_on(page: Any, url: str) -> list[str]:
    response = page.goto(url, wait_until="domcontentloaded")
    assert response is not None and response.ok, f"{url} answers {response and response.status}"
    page.wait_for_load_state("load")
    return [f"{url}: {fault}" for fault in page.evaluate(FAULTS)]


def test_public_and_staff_pages_keep_the_wcag_basics(live_server):
    faults: list[str] = []
    with chromium_page() as page:
        for path in PUBLIC_PAGES:
            faults += faults_on(page, live_server + path)
        page.keyboard.press("Tab")
        assert page.evaluate(FOCUS_SHOWN), "the first link focused by the keyboard shows an outline"

        page.goto(f"{live_server}/login")
        page.fill("#username", "admin")
        page.fill("#password", ADMIN_PASSWORD)
        page.click("main button[type=submit]")
        page.wait_for_url(f"{live_server}/**")
        for path in STAFF_PAGES:
            faults += faults_on(page, live_server + path)
    assert not faults, "\n".join(faults)
