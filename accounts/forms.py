from django import forms
from django.utils.translation import gettext_lazy as _


def clean_public_name(value):
    """A public name is shown next to contributions: never empty, never an email address."""
    name = (value or "").strip()
    if "@" in name:
        raise forms.ValidationError(_("Your public name cannot contain an email address."))
    if not name:
        raise forms.ValidationError(_("Please choose a public name."))
    return name


class CitizenSignupForm(forms.Form):
    """Extra fields on allauth's signup form: the public name shown next to contributions."""

    display_name = forms.CharField(
        label=_("Public name"),
        max_length=60,
        help_text=_("Shown next to your comments and ideas. Do not use your email address."),
    )

    def clean_display_name(self):
        return clean_public_name(self.cleaned_data["display_name"])

    def signup(self, request, user):
        user.display_name = self.cleaned_data["display_name"]
        user.save(update_fields=["display_name"])
