"""The author's "Edit" and "Delete" links in a comment thread (participation/comment_edits.py)."""

from django import template

from participation.comment_edits import within_edit_window

register = template.Library()


@register.filter
def still_editable(comment):
    """Whether the comment may still be changed by its author (shown, and posted less than EDIT_MINUTES ago).
    No query: threads that show a citizen's own comment are rendered for them alone, never from the cache."""
    return within_edit_window(comment)
