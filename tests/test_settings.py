import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PRODUCTION_ENV = {
    "DJANGO_SETTINGS_MODULE": "civic_site.settings.production",
    "SECRET_KEY": "a-long-random-production-secret-for-the-check-only-9f8e7d6c5b4a3210zyxwvut",
    "ALLOWED_HOSTS": "partecipa.torino.it",
}


def run_manage(*args, env):
    base = {
        key: value
        for key, value in os.environ.items()
        if key not in ("SECRET_KEY", "ALLOWED_HOSTS", "DJANGO_ALLOW_ASYNC_UNSAFE")
    }
    base.pop("DJANGO_SETTINGS_MODULE", None)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**base, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_check_deploy_is_clean_on_production_settings():
    result = run_manage("check", "--deploy", "--fail-level", "WARNING", env=PRODUCTION_ENV)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout
    assert "WARNING" not in result.stderr


def test_production_refuses_to_start_without_secret_key_or_hosts():
    for missing in ("SECRET_KEY", "ALLOWED_HOSTS"):
        env = {key: value for key, value in PRODUCTION_ENV.items() if key != missing}
        result = run_manage("check", env=env)
        assert result.returncode != 0
        assert missing in result.stderr


def test_production_uses_hashed_compressed_static_files_and_https():
    from importlib import import_module

    saved = {key: os.environ.get(key) for key in PRODUCTION_ENV}
    os.environ.update(PRODUCTION_ENV)
    try:
        production = import_module("civic_site.settings.production")
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
    assert production.STORAGES["staticfiles"]["BACKEND"] == "whitenoise.storage.CompressedManifestStaticFilesStorage"
    assert production.DEBUG is False
    assert production.SESSION_COOKIE_SECURE and production.CSRF_COOKIE_SECURE
    assert production.SECURE_HSTS_SECONDS >= 31536000
    assert production.TIME_ZONE == "Europe/Rome"
    assert production.ALLOW_DEMO_CONTENT is False


def test_redis_switches_on_cache_and_sessions_only_when_set():
    code = "import civic_site.settings.base as s; print(s.CACHES['default']['BACKEND']); print(s.SESSION_ENGINE)"
    env = {k: v for k, v in os.environ.items() if k != "REDIS_URL"}
    plain = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True)
    assert "locmem" in plain.stdout
    redis = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**env, "REDIS_URL": "redis://127.0.0.1:6379/1"},
        capture_output=True,
        text=True,
    )
    assert "RedisCache" in redis.stdout
    assert "cached_db" in redis.stdout


def test_collectstatic_with_production_storage_resolves_every_reference(tmp_path):
    """Hashed, compressed static files build: every url() in our and vendored CSS resolves."""
    code = (
        "import django; django.setup();"
        "from django.test.utils import override_settings;"
        "from django.core.management import call_command;"
        f"ctx = override_settings(STATIC_ROOT={str(tmp_path)!r}); ctx.enable();"
        "call_command('collectstatic', '--noinput', verbosity=0)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**{k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"}, **PRODUCTION_ENV},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    manifest = (tmp_path / "staticfiles.json").read_text()
    assert "vendor/bootstrap-italia/css/bootstrap-italia.min.css" in manifest
    assert "vendor/leaflet/leaflet.js" in manifest
    assert list(tmp_path.glob("vendor/bootstrap-italia/css/bootstrap-italia.min.*.css.gz"))
