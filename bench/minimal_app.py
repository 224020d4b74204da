"""The reference of the HTTP benches: the smallest FastAPI app answering the same shapes of JSON.

uvicorn bench.minimal_app:app --workers 1
"""

from __future__ import annotations

from fastapi import FastAPI, Header

app = FastAPI()

UNITS = [{"code": f"u{i}", "name": f"Phường {i}", "kind": "ward", "parent_code": None} for i in range(14)]


@app.get("/healthz")
def healthz() -> dict[str, str]:
    """Alive."""
    return {"status": "ok"}


@app.get("/api/v1/city/units")
def units(authorization: str = Header("")) -> list[dict[str, object]]:
    """A fixed list the size of the city's wards (the header is read like a credential would be)."""
    return UNITS if authorization else []


@app.get("/api/v1/auth/me")
def me(authorization: str = Header("")) -> dict[str, object]:
    """A fixed user."""
    return {"id": 1, "username": "bench", "roles": [["admin", None]], "token": authorization[:8]}
