"""A page shows only the messages the platform wrote: a redirect's notice is signed, a hand-made one is
ignored."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import PlainTextResponse
from fastapi.testclient import TestClient

from smartcity.web.forms import notice, redirect_with_notice


def _with_sample_pages(app):  # type: ignore[no-untyped-def]
    router = APIRouter()

    @router.get("/thu/gui")
    def send(request: Request):  # type: ignore[no-untyped-def]
        return redirect_with_notice(
            request, "/thu/doc", error="Ngày báo cáo không được ở tương lai.", tab="2"
        )

    @router.get("/thu/doc")
    def read(request: Request) -> PlainTextResponse:
        return PlainTextResponse(f"[{notice(request)}] tab={request.query_params.get('tab')}")

    app.include_router(router)
    return app


def test_a_redirects_notice_is_shown_and_a_hand_made_one_is_not(app):
    client = TestClient(_with_sample_pages(app))
    sent = client.get("/thu/gui", follow_redirects=False)
    assert sent.status_code == 303 and "tab=2" in sent.headers["location"]
    assert "Ng%C3%A0y" not in sent.headers["location"]  # the words travel signed, not as text to edit
    assert client.get(sent.headers["location"]).text == "[Ngày báo cáo không được ở tương lai.] tab=2"
    forged = client.get("/thu/doc", params={"error": "Tài khoản của bạn bị khóa, hãy gọi 0900000000"})
    assert forged.text == "[] tab=None"
    tampered = sent.headers["location"].replace("error=", "error=x")
    assert client.get(tampered).text == "[] tab=2"
