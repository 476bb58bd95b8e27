"""Comment threads under consultation and participation pages."""

from django import template
from django.conf import settings
from django.core.cache import cache
from django.utils import translation
from django.utils.html import conditional_escape
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from civic_site import pagecache
from participation.comments import (
    DISLIKE,
    LIKE,
    build_tree,
    has_verified_email,
    is_personal,
    remember_personal,
    shown_thread_state,
    shows_personal,
    thread_comments,
    thread_listing,
    thread_page,
    thread_state,
)
from participation.core.groups import group_key
from participation.forms import CommentForm

register = template.Library()


THREAD_TEMPLATE = "participation/includes/comment_thread.html"
# Rendered threads are stored with this in place of the request's CSRF token, put back on every use.
CSRF_SLOT = "csrf-token-slot-0c7e55a1"
CSRF_INPUT = '<input type="hidden" name="csrfmiddlewaretoken" value="%s">'


@register.simple_tag(takes_context=True)
def comment_thread(context, page):
    """The thread of `page`'s translation group, its form (or why one cannot post), in constant queries.
    ``page`` may also be an idea's thread (participation.ideas.IdeaThread).

    Rendering one page of threads (20 threads, their replies, a reply and reaction form and a report link on each)
    costs far more than its queries, and is the same for every citizen with nothing of their own on that
    page: that render is kept in the cache under the group's and the content's page-cache versions, so
    every comment, reaction, hiding, restoring or thread setting (``group_changed()``) and every
    publication drops it. Citizens who wrote, reacted to or reported a comment shown, previews and forms
    sent back with errors are rendered afresh.
    """
    request = context["request"]
    if page.pk is None:  # previewing a page that was never saved: no thread yet
        return _render(context, {"page": page, "preview_without_thread": True})
    user = request.user
    key = group_key(page)
    versions = pagecache.versions([pagecache.CONTENT, pagecache.group_tag(key)])
    listing = thread_listing(key, versions[pagecache.group_tag(key)])
    # After a refused reaction the view names the page of threads holding the comment.
    threads_page = thread_page(listing, context.get("comments_page_number") or request.GET.get("comments"))
    thread_ids = list(threads_page.object_list)
    # A preview shows the page being edited (its phases in memory), never the stored state.
    preview = getattr(request, "is_preview", False)
    is_open, _state = thread_state(page) if preview else shown_thread_state(page, versions)
    can_post = is_open and has_verified_email(user)
    bound = context.get("comment_form")
    bound = bound if bound is not None and bound.is_bound else None
    shared_key = None
    if bound is None and not preview:
        shared_key = ":".join(
            str(part)
            for part in (
                pagecache.KEY_PREFIX,
                "thread",
                key,
                *versions.values(),
                page.pk,
                translation.get_language(),
                threads_page.number,
                is_open,
                can_post,
                user.is_authenticated,
            )
        )
        html = cache.get(shared_key)
        if html is not None and not shows_personal(key, versions[pagecache.group_tag(key)], threads_page, user):
            return _with_csrf(html, context)
    comments = thread_comments(thread_ids, user)
    nodes = build_tree(comments)
    main_form, bound_reply, parent_with_errors = CommentForm(initial=_posted_to(page)), None, None
    if bound is not None:
        parent_with_errors = _reply_target(bound, nodes) if can_post else None
        if parent_with_errors:
            bound_reply = bound
        else:
            main_form = _as_main_form(bound)
    html = _render(
        context,
        {
            "request": request,
            "user": user,
            "page": page,
            "nodes": nodes,
            "count": listing[0],
            "threads_page": threads_page,
            "is_open": is_open,
            "can_post": can_post,
            "form": main_form,
            "show_bound_form": bound is not None and not parent_with_errors,
            "bound_reply": bound_reply,
            "parent_with_errors": parent_with_errors,
            "max_level": settings.COMMENTS_XTD_MAX_THREAD_LEVEL,
        },
    )
    if shared_key is not None:
        personal = any(is_personal(comment, user) for comment in comments)
        remember_personal(key, versions[pagecache.group_tag(key)], threads_page, user, personal)
        if not personal:
            cache.set(shared_key, html, settings.PAGE_CACHE["TIMEOUT"])
    return _with_csrf(html, context)


def _posted_to(page):
    """The form's hidden fields naming the thread: the page, and the idea for an idea's thread."""
    return {"page": page.pk, "idea": getattr(page, "idea_id", None)}


def _render(context, values):
    """THREAD_TEMPLATE with ``values``, as an inclusion tag renders it, with CSRF_SLOT for the CSRF token."""
    template = context.render_context.get(THREAD_TEMPLATE)
    if template is None:
        template = context.render_context[THREAD_TEMPLATE] = context.template.engine.get_template(THREAD_TEMPLATE)
    new_context = context.new(values)
    new_context["csrf_token"] = CSRF_SLOT
    return template.render(new_context)


def _with_csrf(html, context):
    """``html`` with this request's CSRF token where ``{% csrf_token %}`` would have put it (nothing without one)."""
    if CSRF_SLOT not in html:  # no form: the token is not asked for (no CSRF cookie set, as before)
        return mark_safe(html)  # noqa: S308 - rendered (and escaped) by the template
    token = context.get("csrf_token")
    if token and str(token) != "NOTPROVIDED":
        html = html.replace(CSRF_SLOT, conditional_escape(str(token)))
    else:
        html = html.replace(CSRF_INPUT % CSRF_SLOT, "")
    return mark_safe(html)  # noqa: S308 - rendered by the template (escaped there), the token escaped here


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
    return CommentForm(initial={**_posted_to(page), "parent": comment.pk}, prefix_id=f"reply-{comment.pk}")


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
