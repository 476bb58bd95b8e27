"""One schedule per process: participation pages with a window belong to one phase of their process.

A participation page type (poll, idea map, budget...) inherits :class:`PhaseWindowMixin` and its
admin form :class:`PhaseWindowFormMixin`; the window (``opens_at``/``closes_at``, Europe/Rome) must
lie inside the chosen phase, whose days are whole days. The phase is stored as its
``translation_key``, the same in every language, so a translated page keeps its phase.
"""

from datetime import datetime, time, timedelta

from django import forms
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from civic_site.templatetags.civic_dates import long_date, long_datetime


def phase_bounds(start, end):
    """The aware datetimes [start 00:00, day after end 00:00) of a phase, in the current time zone."""
    zone = timezone.get_current_timezone()
    return (
        timezone.make_aware(datetime.combine(start, time.min), zone),
        timezone.make_aware(datetime.combine(end + timedelta(days=1), time.min), zone),
    )


def window_error(phase_name, start, end, opens_at, closes_at):
    """The editor's message when a window does not fit in its phase, else None."""
    lower, upper = phase_bounds(start, end)
    if opens_at is not None and opens_at < lower or closes_at is not None and closes_at > upper:
        return _(
            "The dates must lie inside the phase “%(phase)s”, from %(start)s to %(end)s (whole days included). "
            "Change the dates, or the phases of the process."
        ) % {
            "phase": phase_name,
            "start": long_date(start),
            "end": long_date(end),
        }
    return None


class PhaseWindowMixin(models.Model):
    """A participation page open between two datetimes, inside one phase of its process."""

    phase_key = models.UUIDField(
        _("phase"),
        null=True,
        blank=True,
        help_text=_("The phase of the process this page belongs to; its dates must lie inside that phase."),
    )
    opens_at = models.DateTimeField(_("opens at"), help_text=_("Europe/Rome time."))
    closes_at = models.DateTimeField(_("closes at"), help_text=_("Europe/Rome time."))

    class Meta:
        abstract = True

    @property
    def is_open(self):
        return self.opens_at <= timezone.now() < self.closes_at

    @property
    def has_closed(self):
        return timezone.now() >= self.closes_at


class PhaseWindowFormMixin:
    """For the admin form of a :class:`PhaseWindowMixin` page: choose the phase, refuse dates outside it."""

    closes_before_opens_message = _("The closing date must come after the opening date.")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        parent = self.parent_page.specific if getattr(self, "parent_page", None) else None
        phases = list(parent.phases.all()) if parent is not None and hasattr(parent, "phases") else []
        self.phases = {str(phase.translation_key): phase for phase in phases if not phase.is_results}
        if "phase_key" in self.fields:
            field = self.fields["phase_key"]
            self.fields["phase_key"] = forms.TypedChoiceField(
                label=field.label,
                help_text=field.help_text,
                choices=[("", "---------")]
                + [
                    (key, f"{phase.name} ({long_date(phase.start)} – {long_date(phase.end)})")
                    for key, phase in self.phases.items()
                ],
                coerce=str,
                required=True,
                error_messages={
                    "required": _("Choose the phase of the process this page belongs to.")
                    if self.phases
                    else _("Add the phases to the process first: this page's dates must lie inside one of them."),
                    "invalid_choice": _("Choose one of the process's phases."),
                },
            )
            if self.instance.phase_key:
                self.initial["phase_key"] = str(self.instance.phase_key)

    def clean(self):
        cleaned = super().clean()
        opens_at, closes_at = cleaned.get("opens_at"), cleaned.get("closes_at")
        if opens_at and closes_at and closes_at <= opens_at:
            self.add_error("closes_at", self.closes_before_opens_message)
        phase = self.phases.get(cleaned.get("phase_key") or "")
        if phase is not None:
            message = window_error(phase.name, phase.start, phase.end, opens_at, closes_at)
            if message:
                self.add_error("phase_key", message)
        return cleaned


class ProcessScheduleFormMixin:
    """For the process's admin form: phases cannot move away from the participation pages inside them."""

    def is_valid(self):
        valid = super().is_valid()  # the phases formset is validated in here, after this form's clean()
        formset = self.formsets.get("phases") if valid and self.instance.pk else None
        if formset is None:
            return valid
        phase_forms = {str(form.instance.translation_key): form for form in formset.forms if form.cleaned_data}
        for child in self.instance.get_children().specific():
            key = str(getattr(child, "phase_key", None) or "")
            form = phase_forms.get(key)
            if not key or form is None:
                continue
            data = form.cleaned_data
            if data.get("DELETE") or data.get("is_results"):
                form.add_error(
                    None,
                    _("“%(page)s” belongs to this phase: move it to another phase before removing this one.")
                    % {"page": child.title},
                )
                valid = False
                continue
            message = window_error(data["name"], data["start"], data["end"], child.opens_at, child.closes_at)
            if message:
                form.add_error(
                    "start",
                    _("“%(page)s” is open from %(opens)s to %(closes)s, in this phase: %(reason)s")
                    % {
                        "page": child.title,
                        "opens": long_datetime(timezone.localtime(child.opens_at)),
                        "closes": long_datetime(timezone.localtime(child.closes_at)),
                        "reason": message,
                    },
                )
                valid = False
        return valid


def next_window_change(now):
    """The next opening or closing of any live participation page's window (polls, later maps and
    budgets...), or None: the page cache lets no stored page outlive it (civic_site/pagecache.py)."""
    from django.apps import apps
    from django.db.models import Min, Q

    moments = []
    for model in apps.get_models():
        if issubclass(model, PhaseWindowMixin):
            found = model.objects.filter(live=True).aggregate(
                opens=Min("opens_at", filter=Q(opens_at__gt=now)), closes=Min("closes_at", filter=Q(closes_at__gt=now))
            )
            moments += [moment for moment in found.values() if moment is not None]
    return min(moments, default=None)
