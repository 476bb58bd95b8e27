import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PRODUCTION_ENV = {
    "DJANGO_SETTINGS_MODULE": "civic_site.settings.production",
    "SECRET_KEY": "a-long-random-production-secret-for-the-check-only-9f8e7d6c5b4a3210zyxwvut",
    "ALLOWED_HOSTS": "partecipa.torino.it",
    # Nothing connects to these: the checks only read which database and cache are configured.
    "DATABASE_URL": "postgres://partecipa:secret@db.invalid:5432/partecipa",
    "REDIS_URL": "redis://redis.invalid:6379/0",
}


def run_manage(*args, env, unset=(), command=(sys.executable, "manage.py")):
    """Run manage.py (or `command`) with `env` on top of ours, without the variables named in `unset`."""
    base = {
        key: value
        for key, value in os.environ.items()
        if key not in ("SECRET_KEY", "ALLOWED_HOSTS", "DJANGO_ALLOW_ASYNC_UNSAFE", "SINGLE_SERVER")
    }
    base.pop("DJANGO_SETTINGS_MODULE", None)
    merged = {key: value for key, value in {**base, **env}.items() if key not in unset}
    return subprocess.run(
        [*command, *args],
        cwd=ROOT,
        env=merged,
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


def test_production_refuses_sqlite_or_a_per_process_cache_unless_single_server():
    """On several workers without Redis every rate limit was counted per process (35 of 40 comments
    got through a limit of 5): production settings stop with a system check error saying why."""
    sqlite = run_manage("check", env=PRODUCTION_ENV, unset=("DATABASE_URL",))
    assert sqlite.returncode != 0
    assert "civic_site.E001" in sqlite.stderr and "SQLite" in sqlite.stderr
    assert "civic_site.E002" not in sqlite.stderr

    no_redis = run_manage("migrate", "--plan", env=PRODUCTION_ENV, unset=("REDIS_URL",))
    assert no_redis.returncode != 0
    assert "civic_site.E002" in no_redis.stderr and "REDIS_URL" in no_redis.stderr
    assert "civic_site.E001" not in no_redis.stderr

    single = run_manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        env={**PRODUCTION_ENV, "SINGLE_SERVER": "true"},
        unset=("DATABASE_URL", "REDIS_URL"),
    )
    assert single.returncode == 0, single.stdout + single.stderr
    assert "System check identified no issues" in single.stdout


def test_gunicorn_refuses_to_start_where_the_checks_fail():
    """gunicorn runs no system checks: wsgi.py runs ours and the worker fails to boot."""
    gunicorn = (str(Path(sys.executable).with_name("gunicorn")), "--check-config", "civic_site.wsgi")
    refused = run_manage(env=PRODUCTION_ENV, unset=("REDIS_URL",), command=gunicorn)
    assert refused.returncode != 0
    assert "civic_site.E002" in refused.stderr
    served = run_manage(env=PRODUCTION_ENV, command=gunicorn)
    assert served.returncode == 0, served.stderr[-3000:]


def test_sqlite_takes_concurrent_writers_in_turn():
    """WAL, write transactions that take the lock when they start, and a wait instead of an error."""
    code = "import civic_site.settings.base as s; print(s.DATABASES['default']['OPTIONS'])"
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True)
    assert "'transaction_mode': 'IMMEDIATE'" in result.stdout
    assert "journal_mode=WAL" in result.stdout
    assert "'timeout': 20" in result.stdout


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


def test_redis_switches_on_the_shared_cache_only_when_set_and_sessions_are_read_from_the_cache():
    code = "import civic_site.settings.base as s; print(s.CACHES['default']['BACKEND']); print(s.SESSION_ENGINE)"
    env = {k: v for k, v in os.environ.items() if k != "REDIS_URL"}
    plain = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True)
    assert "locmem" in plain.stdout
    assert "cached_db" in plain.stdout
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
