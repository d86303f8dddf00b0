from django.utils.functional import SimpleLazyObject

from issues.models import Periodical


def periodical(request):
    """The periodical's settings in every template, read only when a template uses them."""
    return {"periodical": SimpleLazyObject(Periodical.load)}
