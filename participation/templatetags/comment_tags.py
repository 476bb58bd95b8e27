"""Comment threads under consultation and participation pages."""

from django import template
from django.conf import settings
from django.utils.translation import gettext as _

from participation.comments import DISLIKE, LIKE, has_verified_email, thread_state, thread_tree
from participation.forms import CommentForm, ReportForm

register = template.Library()


@register.inclusion_tag("participation/includes/comment_thread.html", takes_context=True)
def comment_thread(context, page):
    """The thread of `page`'s translation group, its form (or why one cannot post), in constant queries."""
    request = context["request"]
    if page.pk is None:  # previewing a page that was never saved: no thread yet
        return {"page": page, "preview_without_thread": True}
    user = request.user
    # After a rejected report the view names the page of threads holding the reported comment.
    page_number = context.get("comments_page_number") or request.GET.get("comments")
    nodes, count, threads_page = thread_tree(page, user, page_number)
    is_open, _state = thread_state(page)
    can_post = is_open and has_verified_email(user)
    bound = context.get("comment_form")
    main_form, bound_reply, parent_with_errors = CommentForm(initial={"page": page.pk}), None, None
    if bound is not None and bound.is_bound:
        parent_with_errors = _reply_target(bound, nodes) if can_post else None
        if parent_with_errors:
            bound_reply = bound
        else:
            main_form = _as_main_form(bound)
    return {
        "request": request,
        "user": user,
        "page": page,
        "nodes": nodes,
        "count": count,
        "threads_page": threads_page,
        "is_open": is_open,
        "can_post": can_post,
        "form": main_form,
        "show_bound_form": bound is not None and bound.is_bound and not parent_with_errors,
        "bound_reply": bound_reply,
        "parent_with_errors": parent_with_errors,
        "bound_report": context.get("report_form"),
        "max_level": settings.COMMENTS_XTD_MAX_THREAD_LEVEL,
    }


def _reply_target(form, nodes):
    """The id of the comment a rejected reply answered, if that comment still takes replies here."""
    try:
        parent_id = int(form.data.get("parent") or 0)
    except ValueError:
        return None
    stack = list(nodes)
    while stack:
        node = stack.pop()
        if node.comment.pk == parent_id:
            eligible = not node.hidden and node.comment.level < settings.COMMENTS_XTD_MAX_THREAD_LEVEL
            return parent_id if eligible else None
        stack.extend(node.children)
    return None


def _as_main_form(form):
    """A rejected comment shown in the main form, with its text and reasons, as a new top-level comment."""
    data = form.data.copy()
    data["parent"] = ""
    main = CommentForm(data)
    main.is_valid()
    for error in form.non_field_errors():
        if error not in main.non_field_errors():
            main.add_error(None, error)
    return main


@register.simple_tag
def reply_form(page, comment, bound_reply=None):
    """The reply form under `comment`: the citizen's rejected reply if it was this one, else empty."""
    if bound_reply is not None and str(bound_reply.data.get("parent")) == str(comment.pk):
        bound_reply.auto_id = f"reply-{comment.pk}-%s"
        return bound_reply
    return CommentForm(initial={"page": page.pk, "parent": comment.pk}, prefix_id=f"reply-{comment.pk}")


@register.simple_tag
def may_react(user, comment, is_open):
    """Whether to offer "I agree", "I disagree" and "Report": signed in, open thread, someone else's comment.

    The same rules are enforced on the server by participation.comments.react() and report().
    """
    return bool(user.is_authenticated and is_open and comment.user_id != user.pk)


@register.simple_tag
def reaction_choices(comment):
    """(value, label, count) of the two reaction buttons, in the order they are shown."""
    return [(LIKE, _("I agree"), comment.likes), (DISLIKE, _("I disagree"), comment.dislikes)]


@register.simple_tag
def report_form(comment, bound_report=None):
    """The report form on `comment`: the citizen's rejected report if it was this one (text kept), else empty."""
    prefix_id = f"report-{comment.pk}"
    if bound_report is not None and getattr(bound_report, "comment_id", None) == comment.pk:
        return bound_report
    return ReportForm(prefix_id=prefix_id)
