"""Settings for `make bench`: production settings, plus the bare reference view and a throwaway database.

Everything else is ``civic_site.settings.production`` as deployed (manifest static files, no debug, the
same middleware), with the environment the benchmark sets (SECRET_KEY, ALLOWED_HOSTS=127.0.0.1,
SINGLE_SERVER=true, SECURE_SSL_REDIRECT=false, DATABASE_URL, MEDIA_ROOT, BENCH_STATIC_ROOT).
"""

import os
from pathlib import Path

from civic_site.settings.production import *  # noqa: F403
from civic_site.settings.production import BASE_DIR, TEMPLATES

# benchmarks/urls.py: civic_site.urls plus /_bench/bare/, the reference every page is compared with.
ROOT_URLCONF = "benchmarks.urls"
TEMPLATES[0]["DIRS"] = [*TEMPLATES[0]["DIRS"], Path(__file__).resolve().parent / "templates"]

# The benchmark seeds a database of its own (never a real one): seed_demo may run on it.
ALLOW_DEMO_CONTENT = True

# collectstatic writes here (a temp directory), not into the checkout's staticfiles/.
STATIC_ROOT = Path(os.environ.get("BENCH_STATIC_ROOT", BASE_DIR / "staticfiles"))
