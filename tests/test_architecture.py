"""Which app knows which (DESIGN.md): home, consultations and accounts import nothing from participation;
seed_demo lives in civic_site and each app keeps its own demo module."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def imported_modules(path):
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.module
        elif isinstance(node, ast.Call) and getattr(node.func, "id", getattr(node.func, "attr", "")) in (
            "import_module",
            "__import__",
        ):
            yield from (arg.value for arg in node.args if isinstance(arg, ast.Constant) and isinstance(arg.value, str))


@pytest.mark.parametrize("app", ["home", "consultations", "accounts"])
def test_app_imports_nothing_from_participation(app):
    files = [path for path in (ROOT / app).rglob("*.py") if ".venv" not in path.parts]
    assert files
    offenders = {
        str(path.relative_to(ROOT)): module
        for path in files
        for module in imported_modules(path)
        if module == "participation" or module.startswith("participation.")
    }
    assert offenders == {}


def test_seed_demo_lives_in_civic_site_and_apps_keep_their_demo_modules():
    from django.core.management import get_commands

    assert get_commands()["seed_demo"] == "civic_site"
    for app in ("home", "consultations", "accounts", "participation"):
        assert (ROOT / app / "demo.py").is_file(), app
    assert not (ROOT / "home" / "management").exists()
    assert "seed_demo" in (ROOT / "Makefile").read_text()


def test_every_routable_page_type_has_its_resolver_before_the_first_request():
    """Built at start-up (civic_site.apps), never by two request threads at once."""
    from wagtail.contrib.routable_page.models import RoutablePageMixin
    from wagtail.models import get_page_models

    routable = [model for model in get_page_models() if issubclass(model, RoutablePageMixin)]
    assert routable and all("_routablepage_urlresolver" in model.__dict__ for model in routable)
