"""ASGI entry point for uvicorn: `smartcity.web.asgi:app`."""

from smartcity.web.app import create_app

app = create_app()
