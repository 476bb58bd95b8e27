from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST
from wagtail.models import Page

from .comments import (
    REACTIONS,
    CommentRejected,
    ReactionRejected,
    check_can_react,
    post_comment,
    public_page_for,
    react,
    report,
    thread_page_number,
)
from .core import ratelimit
from .forms import CommentForm, ReportForm
from .models import CommentReport, ParticipationComment


def _live_page(page_id):
    page = Page.objects.live().public().filter(pk=page_id).first()
    if page is None:
        raise Http404
    return page.specific


def _thread_owner(request, page):
    """The thread the form posted to: the page's own, or one of its ideas' (an idea map's ``idea`` field)."""
    idea = request.POST.get("idea", "")
    if not idea:
        return page
    if not idea.isdigit() or len(idea) > 18:
        raise Http404
    from .ideas import idea_thread

    return idea_thread(page, int(idea))


def _render_again(request, owner, extra_context, rejection=None):
    """The page showing the thread again with ``extra_context`` (a kept form, the page of threads):
    400, or 429 with Retry-After when a rate limit refused it."""
    if isinstance(owner, Page):
        context = owner.get_context(request)
        context.update(extra_context)
        response = TemplateResponse(request, owner.get_template(request), context)
    else:  # an idea's thread: the idea's page
        response = owner.respond(request, extra_context)
    return ratelimit.respond(response, rejection)


def _render_page_with_form(request, page, form, rejection=None):
    """The page again, with the citizen's text and the reason in the comment form (nothing is lost)."""
    return _render_again(request, page, {"comment_form": form}, rejection)


def _render_page_with_message(request, page, comment, rejection):
    """The page again at the comment, with why a reaction was refused (a rate limit: 429 with Retry-After)."""
    messages.error(request, str(rejection))
    return _render_again(request, page, {"comments_page_number": thread_page_number(comment)}, rejection)


@require_POST
def post(request):
    form = CommentForm(request.POST)
    try:
        page_id = int(request.POST.get("page", ""))
    except ValueError:
        raise Http404 from None
    page = _thread_owner(request, _live_page(page_id))
    if not request.user.is_authenticated:
        return redirect_to_login(page.url + "#comments")
    if not form.is_valid():
        return _render_page_with_form(request, page, form)
    try:
        comment = post_comment(
            page=page,
            user=request.user,
            text=form.cleaned_data["comment"],
            parent_id=form.cleaned_data.get("parent"),
            ip_address=ratelimit.client_ip(request),
        )
    except CommentRejected as rejection:
        form.add_error(None, str(rejection))
        return _render_page_with_form(request, page, form, rejection)
    messages.success(request, _("Thank you: your comment has been published."))
    number = thread_page_number(comment)
    return HttpResponseRedirect(f"{page.url}{f'?comments={number}' if number > 1 else ''}#c{comment.pk}")


def _comment_and_page(comment_id):
    """A visible comment and the live, public page showing it; 404 otherwise, so no URL of an
    unpublished or private page is ever revealed by a redirect."""
    # By ``id`` (the inherited integer field), not ``pk``: the primary key is a link to the parent model's
    # row, and Django keeps out-of-range values from the database for integer fields only; an id beyond
    # 64 bits in the URL was an OverflowError on SQLite (a 500) instead of a 404.
    comment = get_object_or_404(ParticipationComment, id=comment_id, is_public=True, is_removed=False)
    page = public_page_for(comment)
    if page is None:
        raise Http404
    return comment, page.specific if isinstance(page, Page) else page


def _back_to(page, comment):
    number = thread_page_number(comment)
    return f"{page.url}{f'?comments={number}' if number > 1 else ''}#c{comment.pk}"


@require_POST
def reaction(request, comment_id):
    comment, page = _comment_and_page(comment_id)
    back = _back_to(page, comment)
    if not request.user.is_authenticated:
        return redirect_to_login(back)
    kind = request.POST.get("reaction")
    if kind not in REACTIONS:
        raise Http404
    try:
        react(comment=comment, user=request.user, reaction=kind, ip_address=ratelimit.client_ip(request))
    except ReactionRejected as rejection:
        if rejection.limited:
            return _render_page_with_message(request, page, comment, rejection)
        messages.error(request, str(rejection))
    return HttpResponseRedirect(back)


@require_http_methods(["GET", "HEAD", "POST"])
def report_comment(request, comment_id):
    """The report of a comment to the moderators, on a page of its own (a thread holds a link on each comment,
    not a form). GET: the comment and the form. POST: the report, or the form again with the reason and text
    kept (400; 429 with Retry-After for the rate limit). Where reporting is refused (one's own comment, a closed
    thread, no confirmed address) or already done, the citizen goes back to the comment and is told why."""
    comment, page = _comment_and_page(comment_id)
    back = _back_to(page, comment)
    if not request.user.is_authenticated:
        return redirect_to_login(request.path if request.method != "POST" else back)
    try:
        check_can_react(comment, request.user)
    except ReactionRejected as rejection:
        messages.error(request, str(rejection))
        return HttpResponseRedirect(back)
    if request.method != "POST":
        if CommentReport.objects.filter(comment=comment, user=request.user, reviewed_at__isnull=True).exists():
            messages.info(request, _("You reported this comment: the moderators will look at it."))
            return HttpResponseRedirect(back)
        return _report_page(request, page, comment, ReportForm())
    form = ReportForm(request.POST)
    if not form.is_valid():
        return _report_page(request, page, comment, form)
    try:
        report(
            comment=comment,
            user=request.user,
            reason=form.cleaned_data["reason"],
            text=form.cleaned_data["text"],
            ip_address=ratelimit.client_ip(request),
        )
    except ReactionRejected as rejection:
        if rejection.limited:  # the form again, the reason and text kept, with when to try again
            form.add_error(None, str(rejection))
            return _report_page(request, page, comment, form, rejection)
        messages.error(request, str(rejection))
    else:
        messages.success(request, _("Thank you: the moderators will look at this comment."))
    return HttpResponseRedirect(back)


def _report_page(request, page, comment, form, rejection=None):
    """The report form on its own page: 200 when new, 400 when sent back with errors, 429 when limited."""
    response = TemplateResponse(
        request,
        "participation/comment_report.html",
        {"comment": comment, "form": form, "where": page.title, "back_url": _back_to(page, comment)},
        status=400 if form.is_bound else 200,
    )
    return ratelimit.respond(response, rejection) if rejection is not None else response
