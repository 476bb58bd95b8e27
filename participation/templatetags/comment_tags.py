"""Comment threads under consultation and participation pages."""

from django import template
from django.conf import settings

from participation.comments import DISLIKE, LIKE, REPORT, has_verified_email, thread_state, thread_tree
from participation.forms import CommentForm

register = template.Library()


@register.inclusion_tag("participation/includes/comment_thread.html", takes_context=True)
def comment_thread(context, page):
    """The thread of `page`'s translation group, its form (or why one cannot post), in constant queries."""
    request = context["request"]
    if page.pk is None:  # previewing a page that was never saved: no thread yet
        return {"page": page, "preview_without_thread": True}
    user = request.user
    nodes, count, threads_page = thread_tree(page, user, request.GET.get("comments"))
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
        "max_level": settings.COMMENTS_XTD_MAX_THREAD_LEVEL,
        "LIKE": LIKE,
        "DISLIKE": DISLIKE,
        "REPORT": REPORT,
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
