"""Polls belong to one phase of their process: existing polls get the phase their window lies in."""

from datetime import timedelta

from django.db import migrations, models
from django.utils import timezone


def assign_phases(apps, schema_editor):
    PollPage = apps.get_model("participation", "PollPage")
    ConsultationPhase = apps.get_model("consultations", "ConsultationPhase")
    for poll in PollPage.objects.all():
        parent_path = poll.path[:-4]  # treebeard's step length for Wagtail pages
        opens = timezone.localtime(poll.opens_at).date()
        closes = timezone.localtime(poll.closes_at - timedelta(microseconds=1)).date()
        phase = (
            ConsultationPhase.objects.filter(page__path=parent_path, is_results=False, start__lte=opens, end__gte=closes)
            .order_by("sort_order")
            .first()
        )
        if phase is not None:
            poll.phase_key = phase.translation_key
            poll.save(update_fields=["phase_key"])


class Migration(migrations.Migration):

    dependencies = [
        ("consultations", "0002_consultation_details"),
        ("participation", "0002_translation_groups"),
    ]

    operations = [
        migrations.AddField(
            model_name="pollpage",
            name="phase_key",
            field=models.UUIDField(
                blank=True,
                help_text="The phase of the process this page belongs to; its dates must lie inside that phase.",
                null=True,
                verbose_name="phase",
            ),
        ),
        migrations.RunPython(assign_phases, migrations.RunPython.noop),
    ]
