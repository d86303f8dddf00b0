"""What the public forms share: the honeypot that catches software filling in every field."""

from django import forms
from django.utils.translation import gettext_lazy as _


class HoneypotMixin(forms.Form):
    """Adds a `website` field that people never see (the CSS hides it); software that fills every field fills it."""

    website = forms.CharField(
        required=False,
        label=_("网站（请留空）"),
        widget=forms.TextInput(attrs={"tabindex": "-1", "autocomplete": "off"}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["website"] = self.fields.pop("website")  # last, after the fields people fill in

    @property
    def is_spam(self) -> bool:
        return bool(self.data.get("website"))
