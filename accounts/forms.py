import unicodedata

from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _


def clean_public_name(value):
    """A public name is shown next to contributions: never empty, never an email address.

    NFKC first, so look-alike characters (a fullwidth "＠", "﹫") are the "@" they read as, both in
    the check and in the name we store.
    """
    name = unicodedata.normalize("NFKC", value or "").strip()
    if "@" in name:
        raise forms.ValidationError(_("Your public name cannot contain an email address."))
    if not name:
        raise forms.ValidationError(_("Please choose a public name."))
    max_length = get_user_model()._meta.get_field("display_name").max_length
    if len(name) > max_length:  # some characters expand under NFKC ("㍿" is four)
        raise forms.ValidationError(_("Your public name can be at most %(max)s characters long.") % {"max": max_length})
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
