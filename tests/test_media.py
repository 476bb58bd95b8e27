"""Uploaded files on a single box: gunicorn has no whitenoise for MEDIA_ROOT, so Django serves it when
SERVE_MEDIA is on (production's default with SINGLE_SERVER=true) and answers 404 when it is off."""

import pytest

from tests.test_settings import PRODUCTION_ENV, run_manage


@pytest.fixture
def upload(db, settings, tmp_path):  # db: a 404 renders the site's own error page
    settings.MEDIA_ROOT = tmp_path
    (tmp_path / "images").mkdir()
    (tmp_path / "images" / "parco.fill-800x450.webp").write_bytes(b"RIFF....WEBPVP8 ")
    (tmp_path.parent / "secret.txt").write_text("not media")
    return "/media/images/parco.fill-800x450.webp"


def test_media_are_served_with_cache_headers_when_serve_media_is_on(client, settings, upload):
    settings.SERVE_MEDIA = True
    response = client.get(upload)
    assert response.status_code == 200
    assert response["Content-Type"] == "image/webp"
    assert "max-age=86400" in response["Cache-Control"] and "public" in response["Cache-Control"]
    assert response["X-Content-Type-Options"] == "nosniff"
    # A file someone managed to upload as HTML or SVG could not run scripts on our origin.
    assert "sandbox" in response["Content-Security-Policy"]
    assert client.get("/media/images/missing.webp").status_code == 404
    # A way out of MEDIA_ROOT is refused (400 for a suspicious path, else 404), never served.
    for escape in ("/media/../secret.txt", "/media/images/..%2F..%2Fsecret.txt"):
        assert client.get(escape).status_code in (400, 404)


def test_media_are_a_404_when_a_front_server_serves_them(client, settings, upload):
    settings.SERVE_MEDIA = False
    assert client.get(upload).status_code == 404


@pytest.mark.parametrize(("single_server", "expected"), [("true", "True"), ("false", "False")])
def test_production_serves_media_itself_only_on_a_single_box(single_server, expected):
    code = "from django.conf import settings; print(settings.SERVE_MEDIA)"
    result = run_manage("shell", "-c", code, env={**PRODUCTION_ENV, "SINGLE_SERVER": single_server})
    assert result.returncode == 0, result.stderr
    # Django 5.2's shell may first say how many objects it imported.
    assert result.stdout.strip().splitlines()[-1] == expected
