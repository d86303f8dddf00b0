import io

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError

pytestmark = pytest.mark.django_db


def ensure_admin(**options):
    out = io.StringIO()
    call_command("ensure_admin", stdout=out, **options)
    return out.getvalue()


def test_first_run_creates_an_admin_and_says_how_to_log_in(settings, monkeypatch):
    settings.DEBUG = True
    monkeypatch.delenv("BULLETIN_ADMIN_PASSWORD", raising=False)
    output = ensure_admin(url="http://127.0.0.1:8011/admin/")
    assert "http://127.0.0.1:8011/admin/" in output and "用户名：admin" in output and "密码：admin" in output
    user = get_user_model().objects.get()
    assert user.is_superuser and user.check_password("admin")


def test_second_run_changes_nothing(settings):
    settings.DEBUG = True
    ensure_admin()
    assert "已存在" in ensure_admin()
    assert get_user_model().objects.count() == 1


def test_outside_debug_the_password_must_be_given(settings, monkeypatch):
    settings.DEBUG = False
    monkeypatch.delenv("BULLETIN_ADMIN_PASSWORD", raising=False)
    with pytest.raises(CommandError, match="BULLETIN_ADMIN_PASSWORD"):
        ensure_admin()
    assert not get_user_model().objects.exists()
    monkeypatch.setenv("BULLETIN_ADMIN_PASSWORD", "a-long-secret-9")
    ensure_admin()
    assert get_user_model().objects.get().check_password("a-long-secret-9")
