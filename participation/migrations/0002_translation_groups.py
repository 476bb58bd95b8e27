"""Key poll votes to the translation group (the pages' shared translation_key), not to one page row."""

import django.db.models.deletion
from django.db import migrations, models


def key_votes_to_groups(apps, schema_editor):
    TranslationGroup = apps.get_model("participation", "TranslationGroup")
    ContentType = apps.get_model("contenttypes", "ContentType")
    PollVote = apps.get_model("participation", "PollVote")
    PollVoteChoice = apps.get_model("participation", "PollVoteChoice")
    poll_type, _ = ContentType.objects.get_or_create(app_label="participation", model="pollpage")
    for vote in PollVote.objects.select_related("poll"):
        group, _ = TranslationGroup.objects.get_or_create(
            pk=vote.poll.translation_key, defaults={"content_type": poll_type}
        )
        vote.group = group
        vote.save(update_fields=["group"])
    for choice in PollVoteChoice.objects.select_related("option"):
        choice.option_key = choice.option.translation_key
        choice.save(update_fields=["option_key"])


class Migration(migrations.Migration):

    dependencies = [
        ("contenttypes", "0002_remove_content_type_name"),
        ("participation", "0001_initial"),
    ]

    operations = [
        migrations.CreateModel(
            name="TranslationGroup",
            fields=[
                (
                    "translation_key",
                    models.UUIDField(editable=False, primary_key=True, serialize=False, verbose_name="translation key"),
                ),
                ("created_at", models.DateTimeField(auto_now_add=True, verbose_name="created at")),
                (
                    "content_type",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="contenttypes.contenttype",
                        verbose_name="page type",
                    ),
                ),
            ],
            options={"verbose_name": "translation group", "verbose_name_plural": "translation groups"},
        ),
        migrations.AddField(
            model_name="pollvote",
            name="group",
            field=models.ForeignKey(
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="poll_votes",
                to="participation.translationgroup",
                verbose_name="poll",
            ),
        ),
        migrations.AddField(
            model_name="pollvotechoice",
            name="option_key",
            field=models.UUIDField(db_index=True, null=True, verbose_name="option"),
        ),
        migrations.RunPython(key_votes_to_groups, migrations.RunPython.noop),
        migrations.RemoveConstraint(model_name="pollvote", name="one_vote_per_citizen_per_poll"),
        migrations.RemoveConstraint(model_name="pollvotechoice", name="one_choice_per_option_per_vote"),
        migrations.RemoveField(model_name="pollvote", name="poll"),
        migrations.RemoveField(model_name="pollvotechoice", name="option"),
        migrations.AlterField(
            model_name="pollvote",
            name="group",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT,
                related_name="poll_votes",
                to="participation.translationgroup",
                verbose_name="poll",
            ),
        ),
        migrations.AlterField(
            model_name="pollvotechoice",
            name="option_key",
            field=models.UUIDField(db_index=True, verbose_name="option"),
        ),
        migrations.AddConstraint(
            model_name="pollvote",
            constraint=models.UniqueConstraint(fields=("group", "user"), name="one_vote_per_citizen_per_poll"),
        ),
        migrations.AddConstraint(
            model_name="pollvotechoice",
            constraint=models.UniqueConstraint(fields=("vote", "option_key"), name="one_choice_per_option_per_vote"),
        ),
    ]
