"""Settings come from the environment; production settings pass Django's deployment checks."""

import os
import re
import subprocess
import sys
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent

PRODUCTION_ENV = {
    "BULLETIN_SECRET_KEY": "k3y-" + "x9Qz7!pLm2#vR8tW" * 4,
    "BULLETIN_ALLOWED_HOSTS": "bulletin.example.cn",
    "BULLETIN_EMAIL_HOST": "smtp.example.cn",
}


def manage(*args, env):
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("BULLETIN_", "DJANGO_"))}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=BASE_DIR,
        env=clean | env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_production_settings_pass_the_deployment_checks(tmp_path):
    result = manage(
        "check", "--deploy", "--fail-level", "WARNING", env=PRODUCTION_ENV | {"BULLETIN_DATA_DIR": str(tmp_path)}
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_development_defaults_are_flagged_by_the_deployment_checks(tmp_path):
    result = manage("check", "--deploy", "--fail-level", "WARNING", env={"BULLETIN_DATA_DIR": str(tmp_path)})
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr + result.stdout


def test_debug_off_without_a_secret_key_is_refused(tmp_path):
    result = manage("check", env={"BULLETIN_DEBUG": "0", "BULLETIN_DATA_DIR": str(tmp_path)})
    assert result.returncode != 0
    assert "BULLETIN_SECRET_KEY must be set" in result.stderr


def test_a_malformed_boolean_is_named(tmp_path):
    result = manage("check", env={"BULLETIN_DEBUG": "maybe", "BULLETIN_DATA_DIR": str(tmp_path)})
    assert result.returncode != 0
    assert "BULLETIN_DEBUG must be a boolean" in result.stderr


def test_a_malformed_trusted_proxy_range_is_named(tmp_path):
    result = manage("check", env={"BULLETIN_TRUSTED_PROXIES": "10.0.0.0/8,nginx", "BULLETIN_DATA_DIR": str(tmp_path)})
    assert result.returncode != 0
    assert "BULLETIN_TRUSTED_PROXIES must be comma-separated CIDRs" in result.stderr and "nginx" in result.stderr


def test_paths_and_database_come_from_the_environment(tmp_path):
    code = (
        "from django.conf import settings as s;"
        "print(s.MEDIA_ROOT, s.PROTECTED_ROOT, s.DATABASES['default']['ENGINE'], s.DATABASES['default']['NAME'], s.DEBUG)"
    )
    result = manage(
        "shell", "-v", "0", "-c", code,
        env=PRODUCTION_ENV | {
            "BULLETIN_MEDIA_ROOT": "/srv/media",
            "BULLETIN_PROTECTED_ROOT": "/srv/protected",
            "DATABASE_URL": "postgres://u:p@db.example.cn:5432/bulletin",
        },
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "/srv/media", "/srv/protected", "django.db.backends.postgresql", "bulletin", "False",
    ]  # fmt: skip


def test_the_readme_lists_every_environment_variable_the_code_reads():
    read = set()
    for path in [
        BASE_DIR / "bulletin" / "settings.py",
        *(BASE_DIR / "issues").rglob("*.py"),
        *(BASE_DIR / "articles").rglob("*.py"),
    ]:
        read |= set(re.findall(r"""["'](BULLETIN_[A-Z_]+)["']""", path.read_text()))
    readme = (BASE_DIR / "README.md").read_text()
    assert read and sorted(name for name in read if f"`{name}`" not in readme) == []
