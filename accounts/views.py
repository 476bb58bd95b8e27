from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .forms import clean_public_name
from .models import User


class ProfileForm(forms.ModelForm):
    class Meta:
        model = User
        fields = ["display_name", "notify_replies"]
        labels = {"display_name": gettext_lazy("Public name")}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["display_name"].required = True

    def clean_display_name(self):
        return clean_public_name(self.cleaned_data["display_name"])


@login_required
def profile(request):
    """The citizen's own settings: public name and reply notifications."""
    form = ProfileForm(request.POST or None, instance=request.user)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("Your profile has been saved."))
        return redirect("accounts_profile")
    return TemplateResponse(request, "accounts/profile.html", {"form": form})
