from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _


class CommentForm(forms.Form):
    """A citizen's comment or reply. Plain text only: it is escaped on output."""

    page = forms.IntegerField(widget=forms.HiddenInput)
    parent = forms.IntegerField(required=False, widget=forms.HiddenInput)
    comment = forms.CharField(
        label=_("Your comment"),
        max_length=settings.COMMENT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("Plain text, up to %(max)s characters. Be respectful: moderators hide offensive content.")
        % {"max": settings.COMMENT_MAX_LENGTH},
    )

    def __init__(self, *args, prefix_id="comment", **kwargs):
        super().__init__(*args, **kwargs)
        self.auto_id = f"{prefix_id}-%s"
