"""A citizen changes their own comment for a few minutes after posting it, and deletes it at any time.

- **Edit** (``/<lang>/comments/<id>/edit/``): only the author, only while the comment is shown (not hidden by
  the moderators, not deleted), its discussion still open, and within ``EDIT_MINUTES`` of posting, all checked
  on the server; the same form field as posting (length, empty text, NUL refused) and the same rate limit
  ("comment"). The thread then shows "(edited)" with the time (``edited_at``).
- **Delete** (``/<lang>/comments/<id>/delete/``, a confirmation page then a POST): only the author, at any
  time. The row stays for the thread's structure (its replies stay, under "Comment deleted by its author"),
  marked ``is_removed`` (django-comments-xtd's flag: the thread, the counts, reactions, replies and exports
  already treat it as not shown) and its text is cleared from the database. Deleting twice changes nothing.

Both drop the cached pages showing the thread (``comments_changed``). Someone else's comment is a 404, so
nobody learns which comments exist. The URL names follow "my participation"'s convention
(``<holding key>_edit`` and ``<holding key>_delete``, accounts/my_participation.py).
"""

import copy
from datetime import timedelta

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import Http404, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .comments import public_page_for, thread_page_number, thread_state
from .core import ratelimit
from .core.errors import Rejected
from .core.invalidation import comments_changed
from .forms import CommentForm
from .models import ParticipationComment
from .personal_data import EDIT_MINUTES


class EditRejected(Rejected):
    """A change to a comment that cannot be saved, with the reason to show the citizen."""


class CommentEditForm(forms.Form):
    """The comment's new text: the very field citizens post with (plain text, length-limited, no NUL)."""

    comment = copy.deepcopy(CommentForm.base_fields["comment"])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.auto_id = "edit-%s"


# --- the rules -----------------------------------------------------------------------------------------------


def edit_deadline(comment):
    return comment.submit_date + timedelta(minutes=EDIT_MINUTES)


def within_edit_window(comment, now=None):
    """Whether the comment is still shown and young enough to be changed (no query: for the thread's links)."""
    if comment.is_removed or not comment.is_public:
        return False
    return (now or timezone.now()) <= edit_deadline(comment)


def check_can_edit(comment, user):
    """Raise EditRejected with the reason when ``user`` may not change ``comment`` now."""
    if comment.user_id is None or comment.user_id != user.pk:
        raise EditRejected(_("You can only change your own comments."))
    if comment.is_removed:
        raise EditRejected(_("This comment was deleted: it can no longer be changed."))
    if not comment.is_public:
        raise EditRejected(_("The moderators hid this comment: it can no longer be changed."))
    if timezone.now() > edit_deadline(comment):
        raise EditRejected(
            _("A comment can be changed only in the %(minutes)s minutes after it was posted: that time has passed.")
            % {"minutes": EDIT_MINUTES}
        )
    page = public_page_for(comment)
    if page is None or not thread_state(page)[0]:
        raise EditRejected(_("This discussion is closed: its comments can no longer be changed."))


def edit_comment(*, comment, user, text, ip_address=None):
    """Replace the text of ``user``'s own ``comment`` (already validated by CommentEditForm) and mark it edited;
    raise EditRejected with the reason. Counts against the "comment" rate limit, like posting."""
    check_can_edit(comment, user)
    ratelimit.enforce(
        "comment",
        EditRejected,
        gettext_lazy("You have posted or changed many comments in a short time. Please try again in %(wait)s."),
        user=user,
        ip=ip_address,
    )
    now = timezone.now()
    with transaction.atomic():
        # Checked again in the update itself: a moderator hiding it or the window closing in between wins.
        changed = ParticipationComment.objects.filter(
            pk=comment.pk,
            user=user,
            is_public=True,
            is_removed=False,
            submit_date__gte=now - timedelta(minutes=EDIT_MINUTES),
        ).update(comment=text, edited_at=now)
        if not changed:
            comment.refresh_from_db()
            check_can_edit(comment, user)
            raise EditRejected(_("This comment can no longer be changed."))
        comments_changed(comment.group_id)
    comment.comment, comment.edited_at = text, now
    return comment


def delete_comment(*, comment, user):
    """Delete ``user``'s own ``comment``: its text is cleared and it shows as deleted by its author; its replies
    stay. Returns whether it was deleted now (False when it already was)."""
    if comment.user_id is None or comment.user_id != user.pk:
        raise EditRejected(_("You can only delete your own comments."))
    with transaction.atomic():
        deleted = ParticipationComment.objects.filter(pk=comment.pk, user=user, is_removed=False).update(
            is_removed=True, comment=""
        )
        if deleted:
            comments_changed(comment.group_id)
    comment.is_removed, comment.comment = True, ""
    return bool(deleted)


# --- the views -------------------------------------------------------------------------------------------------


def _own_comment(user, comment_id):
    """The signed-in citizen's own comment, or 404 (someone else's is not found either). By ``id``, not ``pk``:
    see views._comment_and_page."""
    comment = ParticipationComment.objects.filter(id=comment_id, user=user).first()
    if comment is None:
        raise Http404("Not found.")
    return comment


def _thread_url(comment):
    """The comment in its thread, on the page of threads holding it; "my participation" when no page shows it."""
    page = public_page_for(comment)
    if page is None:
        return reverse("accounts_participation")
    number = thread_page_number(comment) if not comment.is_hidden else 1
    return f"{page.url}{f'?comments={number}' if number > 1 else ''}#c{comment.pk}"


def _where(comment):
    page = public_page_for(comment)
    return page.title if page is not None else comment.page_title


@login_required
def edit(request, comment_id):
    """GET: the form with the comment's text, or why it can no longer be changed (403). POST: save it, or the
    form again with what the citizen typed and the reason (400; 429 with Retry-After for the rate limit; 403
    when it can no longer be changed: the text stays on screen to copy)."""
    comment = _own_comment(request.user, comment_id)
    form = CommentEditForm(request.POST if request.method == "POST" else None, initial={"comment": comment.comment})
    refusal = None
    if request.method == "POST":
        if form.is_valid():
            try:
                edit_comment(
                    comment=comment,
                    user=request.user,
                    text=form.cleaned_data["comment"],
                    ip_address=ratelimit.client_ip(request),
                )
            except EditRejected as rejection:
                refusal = rejection
                form.add_error(None, str(rejection))
            else:
                messages.success(request, _("Your comment has been changed."))
                return HttpResponseRedirect(_thread_url(comment))
    else:
        try:
            check_can_edit(comment, request.user)
        except EditRejected as rejection:
            refusal = rejection
    final = refusal is not None and refusal.limited is None  # no new text can fix it: the time has passed...
    response = TemplateResponse(
        request,
        "participation/comment_edit.html",
        {
            "comment": comment,
            "form": form,
            "editable": not final,
            "refusal": str(refusal) if refusal is not None and not form.is_bound else "",
            "deadline": edit_deadline(comment),
            "where": _where(comment),
            "back_url": _thread_url(comment),
        },
    )
    if final:
        response.status_code = 403
    elif refusal is not None:
        ratelimit.respond(response, refusal)
    elif form.is_bound:
        response.status_code = 400
    return response


@login_required
def delete(request, comment_id):
    comment = _own_comment(request.user, comment_id)
    if request.method == "POST":
        if delete_comment(comment=comment, user=request.user):
            messages.success(request, _("Your comment has been deleted."))
        else:
            messages.info(request, _("This comment was already deleted."))
        return HttpResponseRedirect(reverse("accounts_participation"))
    return TemplateResponse(
        request,
        "participation/comment_delete.html",
        {
            "comment": comment,
            "where": _where(comment),
            "back_url": _thread_url(comment) if not comment.is_removed else reverse("accounts_participation"),
        },
    )
