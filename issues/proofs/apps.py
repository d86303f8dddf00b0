from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ProofsConfig(AppConfig):
    """三校: three proofreading rounds on typeset proofs of every issue, signed off before it is published."""

    name = "issues.proofs"
    label = "proofs"
    verbose_name = _("三校")

    def ready(self):
        from articles.services import register_publish_check
        from issues.proofs.services import proofs_obstacles

        register_publish_check(proofs_obstacles)
