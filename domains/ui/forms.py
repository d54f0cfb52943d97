"""Forms of the UI; they only read input, the service layer judges it."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _


class AddDomainForm(forms.Form):
    """The name of a domain to add (U-label or A-label)."""

    name = forms.CharField(
        label=_("Domain name"),
        max_length=1024,
        help_text=_("For example contoso.example; international names are accepted."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
