import pytest
from django.core.cache import cache

pytest_plugins = ["tests.browser"]  # the `browser` fixture of the browser tests


@pytest.fixture(autouse=True)
def isolated_files(settings, tmp_path):
    """Every test writes media and protected files into its own temporary folders."""
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.PROTECTED_ROOT = tmp_path / "protected"
    return settings.MEDIA_ROOT


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    """Real hashing takes ~0.3 s per password by design; tests create many accounts."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def staff_client(client, django_user_model):
    user = django_user_model.objects.create_superuser(username="editor", password="pw-editor-123")
    client.force_login(user)
    client.user = user
    return client


@pytest.fixture(autouse=True)
def empty_cache():
    """Cached pages are keyed on a version that each test's rolled-back database repeats."""
    cache.clear()
    yield
    cache.clear()
