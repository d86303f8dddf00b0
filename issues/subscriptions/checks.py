"""System checks: protected files must never be reachable through a public URL."""

from pathlib import Path

from django.conf import settings
from django.core.checks import Error, register


@register()
def protected_root_is_private(app_configs, **kwargs):
    protected = Path(settings.PROTECTED_ROOT).resolve()
    errors = []
    for name in ("MEDIA_ROOT", "STATIC_ROOT"):
        public = Path(getattr(settings, name)).resolve()
        if protected == public or public in protected.parents:
            errors.append(
                Error(
                    f"PROTECTED_ROOT ({protected}) lies inside {name} ({public}), so subscribers' PDFs "
                    "would be downloadable by anyone who guesses the URL.",
                    hint="Set BULLETIN_PROTECTED_ROOT to a folder outside the public media and static folders.",
                    id="subscriptions.E001",
                )
            )
    return errors
