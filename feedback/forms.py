"""What a visitor sends: the score, then the follow-up choice for that score and a short text."""

import re

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import SCORES, TEXT_MAX_LENGTH, answers_for

# Control characters are dropped from the text (tabs and line breaks become spaces); NUL is refused with
# Django's message, as everywhere on the site.
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
LINE_BREAKS = re.compile(r"[\t\n\r]+")


class FeedbackForm(forms.Form):
    page = forms.IntegerField(min_value=1, widget=forms.HiddenInput)
    score = forms.TypedChoiceField(
        choices=[(score, score) for score in SCORES],
        coerce=int,
        error_messages={
            "required": _("Choose how many stars, from 1 to 5."),
            "invalid_choice": _("Choose how many stars, from 1 to 5."),
        },
    )
    answer = forms.CharField(required=False, max_length=32)
    text = forms.CharField(
        required=False,
        max_length=TEXT_MAX_LENGTH,
        error_messages={
            "max_length": _("Write at most %(limit_value)d characters (you wrote %(show_value)d)."),
        },
    )

    def clean_text(self):
        text = LINE_BREAKS.sub(" ", self.cleaned_data["text"])
        return CONTROL.sub("", text).strip()

    def clean(self):
        cleaned = super().clean()
        score, answer = cleaned.get("score"), cleaned.get("answer")
        if score and answer and answer not in dict(answers_for(score)):
            self.add_error("answer", _("Choose one of the answers shown."))
        return cleaned
