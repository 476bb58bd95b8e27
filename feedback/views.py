"""The public side: the answers to the clarity question, with and without JavaScript.

The question sits at the foot of every page, and anonymous pages are cached whole and served to everyone
(civic_site/pagecache.py): the form in them can carry no per-visitor CSRF token. This view is therefore
``csrf_exempt``. What a forged cross-site post could do is what anyone can do by hand: add an anonymous
rating of a public page. Nothing is read back, no session or account is involved, answers are rate-limited
per client address (``"feedback"`` in PARTICIPATION_RATE_LIMITS) and editors read them as opinions, not votes.

Without JavaScript the form is two steps: the stars post here with ``step=score`` and the answer comes back
as a small page with the follow-up question for that score and the text box; that page posts the whole
answer, which is stored, and the visitor is sent to a thank-you page (303, so reloading it stores nothing).
With JavaScript (static/js/feedback.js) the widget asks the same questions in place and posts the whole
answer once, asking for JSON back.
"""

from django.http import HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST
from wagtail.models import Page

from participation.core import ratelimit

from .forms import CONTROL, FeedbackForm
from .models import SCORES, PageFeedback, answers_for, is_positive

ACTION = "feedback"


def rateable_page(request, page_id):
    """The live page ``page_id`` if this visitor may see it (private pages: only who passes their restriction)."""
    try:
        page_id = int(page_id)
    except (TypeError, ValueError):
        return None
    page = Page.objects.live().filter(pk=page_id, depth__gt=1).select_related("locale").first()
    if page is None:
        return None
    if any(not restriction.accept_request(request) for restriction in page.get_view_restrictions()):
        return None
    return page


def wants_json(request):
    return "application/json" in request.headers.get("Accept", "")


def _errors(form):
    return {field: [str(error) for error in errors] for field, errors in form.errors.items()}


def _step_page(request, rated_page, form, *, status=200, message=""):
    """The no-JavaScript step: the follow-up question for a valid score (and the text), else the stars again."""
    score = form.cleaned_data.get("score") if hasattr(form, "cleaned_data") else None
    context = {
        "rated_page": rated_page,
        "form": form,
        "score": score,
        "scores": SCORES,
        "positive": is_positive(score) if score else None,
        "answers": answers_for(score) if score else (),
        "chosen_answer": form.data.get("answer", ""),
        "text_value": CONTROL.sub("", form.data.get("text", "")),  # kept for the visitor, without control characters
        "message": message,
    }
    return render(request, "feedback/step.html", context, status=status)


@csrf_exempt
@require_POST
def submit(request):
    form = FeedbackForm(request.POST)
    rated_page = rateable_page(request, request.POST.get("page"))
    if rated_page is None:
        message = _("This page cannot be rated.")
        if wants_json(request):
            return JsonResponse({"ok": False, "message": message, "errors": {}}, status=400)
        return render(request, "feedback/step.html", {"message": message, "rated_page": None}, status=400)

    valid = form.is_valid()
    step_only = (
        request.POST.get("step") == "score"
        and not request.POST.get("answer")
        and not request.POST.get("text", "").strip()
        and not wants_json(request)
    )
    if step_only:  # no JavaScript, first step: ask the follow-up question for this score
        if "score" in form.errors:
            return _step_page(request, rated_page, form, status=400, message=form.errors["score"][0])
        return _step_page(request, rated_page, form)

    if not valid:
        message = _("Please check your answer.")
        if wants_json(request):
            return JsonResponse({"ok": False, "message": message, "errors": _errors(form)}, status=400)
        return _step_page(request, rated_page, form, status=400, message=message)

    limited = ratelimit.check(request, ACTION)
    if limited:
        message = limited.message(_("You have sent many answers in a short time. Please try again in %(wait)s."))
        if wants_json(request):
            response = JsonResponse({"ok": False, "message": message, "errors": {}})
        else:
            response = _step_page(request, rated_page, form, message=message)
        return ratelimit.retry_after_header(response, limited)

    data = form.cleaned_data
    PageFeedback.objects.create(
        translation_key=rated_page.translation_key,
        page=rated_page,
        language=rated_page.locale.language_code,
        score=data["score"],
        answer=data["answer"],
        text=data["text"],
    )
    if wants_json(request):
        return JsonResponse({"ok": True, "message": _("Thank you, your opinion will help us improve the site!")})
    return HttpResponseRedirect(f"{reverse('feedback:thanks')}?page={rated_page.pk}", status=303)


@require_GET
def thanks(request):
    return render(request, "feedback/thanks.html", {"rated_page": rateable_page(request, request.GET.get("page"))})
