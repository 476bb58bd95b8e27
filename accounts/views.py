from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponseRedirect
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache

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


@never_cache
def admin_login(request):
    """Wagtail's /admin/login/, replaced: staff log in through allauth like everyone else.

    allauth's login has the rate limits (per IP and per account) and mandatory email
    verification; Wagtail's own login form had neither. This view never authenticates,
    whatever is posted to it: it only sends the visitor on.
    """
    next_url = request.GET.get("next", "")
    if not url_has_allowed_host_and_scheme(next_url, {request.get_host()}, require_https=request.is_secure()):
        next_url = ""
    user = request.user
    if user.is_authenticated:
        if user.has_perm("wagtailadmin.access_admin"):
            return HttpResponseRedirect(next_url or reverse("wagtailadmin_home"))
        # A signed-in citizen: back to the site, where Wagtail's "no permission" message shows.
        # (Sending them to allauth's login would bounce straight back here.)
        return HttpResponseRedirect(f"/{get_language() or 'it'}/")
    query = urlencode({"next": next_url or reverse("wagtailadmin_home")})
    return HttpResponseRedirect(f"{reverse('account_login')}?{query}")
