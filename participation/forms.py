from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from .models.comments import REASON_TEXT_MAX_LENGTH, ModerationReason


class CommentForm(forms.Form):
    """A citizen's comment or reply. Plain text only: it is escaped on output."""

    page = forms.IntegerField(widget=forms.HiddenInput)
    idea = forms.IntegerField(required=False, widget=forms.HiddenInput)  # an idea's own thread on an idea map
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


class ReportForm(forms.Form):
    """A citizen's report of a comment: a reason from the list, and a text when the reason is "other"."""

    reason = forms.ChoiceField(
        label=_("Why are you reporting this comment?"),
        choices=ModerationReason.choices,
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose a reason.")},
    )
    text = forms.CharField(
        label=_("Details"),
        required=False,
        max_length=REASON_TEXT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args, prefix_id="report", **kwargs):
        super().__init__(*args, **kwargs)
        self.auto_id = f"{prefix_id}-%s"
        # Formatted here, not at import: the help text is in the language of the request.
        self.fields["text"].help_text = _(
            "Required when the reason is “Other”. Up to %(max)s characters; only moderators read it."
        ) % {"max": REASON_TEXT_MAX_LENGTH}

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("reason") == ModerationReason.OTHER and not cleaned.get("text", "").strip():
            self.add_error("text", _("Tell the moderators what is wrong with this comment."))
        return cleaned


class HideCommentsForm(forms.Form):
    """The moderator's reason for hiding comments; the authors are told it by email."""

    reason = forms.ChoiceField(
        label=_("Reason"),
        choices=ModerationReason.choices,
        widget=forms.RadioSelect,
    )
    note = forms.CharField(
        label=_("Note to the author"),
        required=False,
        max_length=REASON_TEXT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Optional. Sent by email to the authors with the reason, in the language they wrote in."),
    )
