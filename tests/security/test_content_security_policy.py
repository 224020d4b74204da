"""ASVS V3.4: a Content-Security-Policy without inline script — no template carries inline script or
handlers, every page gets the policy, only Swagger UI gets a relaxed one, an external base map is allowed.
(Every crawled page of the demo is checked by tests/web/test_crawl.py; the browser run by
tests/security/test_content_security_policy_browser.py.)"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tests.support import inline_scripts, script_sources

SOURCE = Path(__file__).resolve().parents[2] / "src" / "smartcity"
TEMPLATES = sorted(SOURCE.glob("**/templates/**/*.html"))
JINJA = re.compile(r"\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}", re.S)


def _directives(policy: str) -> dict[str, list[str]]:
    return {words[0]: words[1:] for words in (part.split() for part in policy.split(";")) if words}


def test_the_templates_are_found():
    assert len(TEMPLATES) > 100
    assert any(path.name == "planning_map.html" for path in TEMPLATES)


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda path: str(path.relative_to(SOURCE)))
def test_no_template_carries_inline_script_handlers_or_javascript_urls(template: Path):
    # Jinja expressions and statements out, so that `{% if online %}` is not read as an attribute
    html = JINJA.sub(lambda found: "x" if found.group(0).startswith("{{") else " ", template.read_text())
    assert inline_scripts(html) == []


def test_the_checker_finds_what_the_policy_would_block():
    assert len(inline_scripts('<script>alert(1)</script><script src="/a.js"></script>')) == 1
    assert len(inline_scripts('<select onchange="this.form.submit()"></select>')) == 1
    assert len(inline_scripts('<a href=" JavaScript:void(0)">x</a>')) == 1
    assert inline_scripts('<script type="application/json" id="d">{"a": 1}</script><p data-on="x">') == []


PATHS = ["/", "/ban-do", "/ban-do-quy-hoach", "/login", "/api/v1/city/units", "/nope"]


@pytest.mark.parametrize("path", PATHS)
def test_every_answer_carries_the_policy_without_inline_script(client, path):
    policy = _directives(client.get(path).headers["content-security-policy"])
    assert policy["script-src"] == ["'self'"]
    assert policy["default-src"] == ["'self'"]
    assert policy["object-src"] == ["'none'"]
    assert policy["base-uri"] == ["'self'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["form-action"] == ["'self'"]
    assert policy["worker-src"] == ["'self'", "blob:"]  # MapLibre's workers
    assert policy["connect-src"] == ["'self'"]
    assert not any("'unsafe-eval'" in sources for sources in policy.values())


def test_only_swagger_ui_gets_its_relaxed_policy(client):
    docs = client.get("/api/v1/docs")
    assert docs.status_code == 200
    assert inline_scripts(docs.text), "Swagger UI starts with an inline script: the reason for its own policy"
    sources = script_sources(docs.headers["content-security-policy"])
    assert "'unsafe-inline'" in sources and "https://cdn.jsdelivr.net" in sources
    assert "frame-ancestors 'none'" in docs.headers["content-security-policy"]
    for path in ("/api/v1/openapi.json", "/api/v1/docsx", "/"):
        assert script_sources(client.get(path).headers["content-security-policy"]) == ["'self'"]


def test_an_external_base_map_is_allowed_to_load_its_tiles(settings, db):
    from smartcity.web.app import create_app

    settings.base_map_style_url = "https://tiles.example.vn/styles/city.json"
    settings.map_origins = ["https://glyphs.example.vn", "https://tiles.example.vn"]
    with TestClient(create_app(settings, db)) as client:
        policy = _directives(client.get("/ban-do").headers["content-security-policy"])
    assert policy["connect-src"] == ["'self'", "https://tiles.example.vn", "https://glyphs.example.vn"]
    assert "https://tiles.example.vn" in policy["img-src"]
    assert policy["script-src"] == ["'self'"]


def test_page_words_reach_the_scripts_as_escaped_data_not_code(client):
    html = client.get("/ban-do").text
    words = re.search(r"data-i18n='(.*?)'", html, re.S)
    assert words is not None and json.loads(words.group(1).replace("&#34;", '"'))["ward"] == "Phường"
    assert "<" not in words.group(1)  # tojson escapes "<": no text can leave the attribute
    form = client.get("/phan-anh/gui").text
    block = re.search(r'<script type="application/json" id="feedback-i18n">(.*?)</script>', form, re.S)
    assert block is not None and json.loads(block.group(1))["join"] == "Tham gia phản ánh này"
