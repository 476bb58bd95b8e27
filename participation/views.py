from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from wagtail.models import Page

from .comments import REACTIONS, CommentRejected, has_verified_email, post_comment, react, thread_page_number
from .forms import CommentForm
from .models import ParticipationComment
from .ratelimit import allow


def _live_page(page_id):
    page = Page.objects.live().public().filter(pk=page_id).first()
    if page is None:
        raise Http404
    return page.specific


def _render_page_with_form(request, page, form):
    """The page again, with the citizen's text and the reason in the comment form (nothing is lost)."""
    context = page.get_context(request)
    context["comment_form"] = form
    return TemplateResponse(request, page.get_template(request), context, status=400)


@require_POST
def post(request):
    form = CommentForm(request.POST)
    try:
        page_id = int(request.POST.get("page", ""))
    except ValueError:
        raise Http404 from None
    page = _live_page(page_id)
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
            ip_address=request.META.get("REMOTE_ADDR"),
        )
    except CommentRejected as rejection:
        form.add_error(None, str(rejection))
        return _render_page_with_form(request, page, form)
    messages.success(request, _("Thank you: your comment has been published."))
    number = thread_page_number(comment)
    return HttpResponseRedirect(f"{page.url}{f'?comments={number}' if number > 1 else ''}#c{comment.pk}")


@require_POST
def reaction(request, comment_id):
    comment = get_object_or_404(ParticipationComment, pk=comment_id, is_public=True, is_removed=False)
    page = comment.page.localized.specific if comment.page_id else None
    back = (page.url if page else "/") + f"#c{comment.pk}"
    if not request.user.is_authenticated:
        return redirect_to_login(back)
    kind = request.POST.get("reaction")
    if kind not in REACTIONS:
        raise Http404
    if not has_verified_email(request.user):
        messages.error(request, _("Confirm your email address before taking part: we sent you a link."))
    elif not allow(f"reaction:{request.user.pk}", 60, 10 * 60):
        messages.error(request, _("Too many actions in a short time. Please wait a few minutes and try again."))
    elif react(comment=comment, user=request.user, reaction=kind) and kind == "report":
        messages.success(request, _("Thank you: the moderators will look at this comment."))
    return HttpResponseRedirect(back)
