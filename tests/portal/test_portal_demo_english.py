"""Every demo post of the portal says its title, summary and body in English too, paragraph for paragraph."""

from __future__ import annotations

from smartcity.portal import demo

POSTS = (demo.SMART_CITY_ARTICLE, *demo.MORE_NEWS, *demo.NOTICES, demo.ABOUT)


def test_every_demo_post_has_its_english_paragraph_for_paragraph() -> None:
    for post in POSTS:
        assert post.title_en and post.body_en, post.slug
        assert bool(post.summary_en) == bool(post.summary_vi), post.slug
        assert len(post.body_en.split("\n\n")) == len(post.body_vi.split("\n\n")), post.slug
