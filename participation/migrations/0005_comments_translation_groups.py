"""Key comments and comment-thread settings to the translation group, not to one page row."""

import django.db.models.deletion
from django.db import migrations, models


def key_comments_to_groups(apps, schema_editor):
    TranslationGroup = apps.get_model("participation", "TranslationGroup")
    ContentType = apps.get_model("contenttypes", "ContentType")
    Comment = apps.get_model("participation", "ParticipationComment")
    CommentThread = apps.get_model("participation", "CommentThread")
    group_type, _ = ContentType.objects.get_or_create(app_label="participation", model="translationgroup")

    def group_of(page):
        return TranslationGroup.objects.get_or_create(
            pk=page.translation_key, defaults={"content_type_id": page.content_type_id}
        )[0]

    for comment in Comment.objects.filter(page__isnull=False).select_related("page"):
        group = group_of(comment.page)
        Comment.objects.filter(pk=comment.pk).update(group=group, content_type=group_type, object_pk=str(group.pk))
    for thread in CommentThread.objects.select_related("page"):
        thread.group = group_of(thread.page)
        thread.save(update_fields=["group"])


class Migration(migrations.Migration):

    dependencies = [
        ("contenttypes", "0002_remove_content_type_name"),
        ("participation", "0004_moderation"),
    ]

    operations = [
        migrations.AddField(
            model_name="participationcomment",
            name="group",
            field=models.ForeignKey(
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="comments",
                to="participation.translationgroup",
                verbose_name="page",
            ),
        ),
        migrations.AddField(
            model_name="commentthread",
            name="group",
            field=models.ForeignKey(
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="participation.translationgroup",
            ),
        ),
        migrations.RunPython(key_comments_to_groups, migrations.RunPython.noop),
        migrations.RemoveField(model_name="participationcomment", name="page"),
        migrations.AlterField(
            model_name="commentthread",
            name="page",
            field=models.ForeignKey(
                help_text="Any language version: the setting holds for all of them.",
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to="wagtailcore.page",
                verbose_name="page",
            ),
        ),
        migrations.AlterField(
            model_name="commentthread",
            name="group",
            field=models.OneToOneField(
                editable=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="comment_thread",
                to="participation.translationgroup",
            ),
        ),
    ]
