"""Paper ballots in the Wagtail admin: the Results group enters them one by one or imports a CSV file,
checked against the same rules as online ballots (participation.budgets)."""

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .budgets import PaperBallotErrors, budget_projects, enter_paper_ballot, euros, import_paper_ballots, pabulib_text
from .models import Ballot, BudgetPage

MAX_UPLOAD = 5 * 1024 * 1024


class PaperBallotForm(forms.Form):
    voting_point = forms.CharField(label=gettext_lazy("Voting point"), max_length=120)
    projects = forms.MultipleChoiceField(
        label=gettext_lazy("Projects chosen on the ballot"), widget=forms.CheckboxSelectMultiple, required=False
    )

    def __init__(self, *args, projects, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["projects"].choices = [
            (page.code, f"{page.code} – {page.title} ({euros(page.cost)})") for page in projects.pages
        ]


class PaperImportForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("CSV file"),
        help_text=gettext_lazy(
            "One row per ballot, with a first line naming the columns “projects” (the project codes, separated "
            "by spaces or commas) and “voting_point”. Separated by semicolons or commas, in UTF-8."
        ),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_UPLOAD:
            raise forms.ValidationError(_("The file is too large (at most 5 MB)."))
        try:
            return upload.read().decode("utf-8-sig")
        except UnicodeDecodeError:
            raise forms.ValidationError(_("The file is not UTF-8 text: save it as “CSV UTF-8”.")) from None


def pabulib_download_view(request, page_id):
    """The budget's Pabulib file (projects and anonymised ballots), for the Results group."""
    if not request.user.has_perm("participation.view_ballot"):
        raise PermissionDenied
    budget = get_object_or_404(BudgetPage, pk=page_id)
    response = HttpResponse(pabulib_text(budget), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{budget.slug}.pb"'
    return response


def paper_ballots_view(request, page_id):
    if not request.user.has_perm("participation.add_ballot"):
        raise PermissionDenied
    budget = get_object_or_404(BudgetPage, pk=page_id)
    projects = budget_projects(budget)
    single = PaperBallotForm(projects=projects)
    upload = PaperImportForm()
    errors = []
    if request.method == "POST":
        try:
            if request.POST.get("action") == "import":
                upload = PaperImportForm(request.POST, request.FILES)
                if upload.is_valid():
                    count = import_paper_ballots(
                        budget=budget, text=upload.cleaned_data["file"], entered_by=request.user
                    )
                    messages.success(request, _("%(count)s paper ballots imported.") % {"count": count})
                    return redirect(request.path)
            else:
                single = PaperBallotForm(request.POST, projects=projects)
                if single.is_valid():
                    enter_paper_ballot(
                        budget=budget,
                        codes=single.cleaned_data["projects"],
                        voting_point=single.cleaned_data["voting_point"],
                        entered_by=request.user,
                    )
                    messages.success(request, _("Paper ballot entered."))
                    return redirect(request.path)
        except PaperBallotErrors as refused:
            errors = refused.errors
    group = Ballot.objects.filter(group_id=budget.group_key, checked_out_at__isnull=False)
    return TemplateResponse(
        request,
        "participation/admin/paper_ballots.html",
        {
            "budget": budget,
            "single": single,
            "upload": upload,
            "errors": errors,
            "online": group.filter(channel=Ballot.ONLINE).count(),
            "points": group.filter(channel=Ballot.PAPER)
            .values("voting_point")
            .annotate(count=Count("pk"))
            .order_by("voting_point"),
            "projects": projects.pages,
            "edit_url": reverse("wagtailadmin_pages:edit", args=[budget.pk]),
            "pabulib_url": reverse("budget_pabulib", args=[budget.pk])
            if request.user.has_perm("participation.view_ballot")
            else None,
        },
        status=400 if errors else 200,
    )
