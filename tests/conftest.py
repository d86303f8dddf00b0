import functools
from importlib import import_module

import pytest
from django.core.cache import cache
from django.db import connection
from django.db.migrations.loader import MigrationLoader

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


# What data migrations make, which the table flush after every transactional test removes
# (Django restores content types and permissions itself, not these).
MIGRATION_DATA = [
    ("articles.submissions.migrations.0004_default_review_levels", "add_levels"),  # 三审 levels and groups
    ("issues.proofs.migrations.0002_proofreaders_group", "create_group"),  # 校对
]


@functools.cache
def _migrated_apps():
    """The app registry as the migrations leave it, for running their data functions again."""
    return MigrationLoader(connection).project_state().apps


@pytest.fixture(autouse=True)
def data_of_migrations(request):
    """A transactional test starts from what the migrations made, whatever the tests before it flushed.

    (serialized_rollback would do it too, but reloads content types over the ones the flush keeps.)
    """
    marker = request.node.get_closest_marker("django_db")
    if not (marker and marker.kwargs.get("transaction")):
        return
    request.getfixturevalue("transactional_db")
    for module, function in MIGRATION_DATA:
        getattr(import_module(module), function)(_migrated_apps(), None)
