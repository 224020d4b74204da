"""Settings: database URL defaults and normalisation, the generated secret key."""

from __future__ import annotations

from smartcity.core.config import Settings, normalise_database_url


def test_default_database_is_sqlite_in_data_dir(tmp_path):
    settings = Settings(data_dir=tmp_path / "data", _env_file=None)
    assert settings.resolved_database_url == f"sqlite:///{(tmp_path / 'data' / 'smartcity.db').resolve()}"


def test_postgres_urls_use_psycopg3():
    assert normalise_database_url("postgresql://u@h/db") == "postgresql+psycopg://u@h/db"
    assert normalise_database_url("postgres://u@h/db") == "postgresql+psycopg://u@h/db"
    assert normalise_database_url("sqlite:///x.db") == "sqlite:///x.db"


def test_environment_is_read(monkeypatch, tmp_path):
    monkeypatch.setenv("SMARTCITY_DATABASE_URL", "postgresql://example/db")
    monkeypatch.setenv("SMARTCITY_MQTT_URL", "mqtt://broker:1884")
    settings = Settings(_env_file=None)
    assert settings.resolved_database_url == "postgresql+psycopg://example/db"
    assert settings.mqtt_url == "mqtt://broker:1884"


def test_generated_secret_is_kept(tmp_path):
    first = Settings(data_dir=tmp_path, _env_file=None).resolved_secret_key
    second = Settings(data_dir=tmp_path, _env_file=None).resolved_secret_key
    assert first == second and len(first) >= 40
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0


def test_public_url_prefers_the_configured_address(tmp_path):
    default = Settings(data_dir=tmp_path, _env_file=None)
    assert default.public_url("http://10.0.0.5:8000/") == "http://10.0.0.5:8000/"
    assert default.public_url() == "http://127.0.0.1:8000/"
    behind_proxy = Settings(data_dir=tmp_path, public_base_url="https://tdm.example.vn", _env_file=None)
    assert behind_proxy.public_url("http://10.0.0.5:8000/") == "https://tdm.example.vn/"
