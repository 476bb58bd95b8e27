# The free tags, replaced by the topics vocabulary (0004, 0005).

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('consultations', '0005_topics_vocabulary'),
    ]

    operations = [
        migrations.RemoveField(
            model_name='consultationpage',
            name='tags',
        ),
        migrations.DeleteModel(
            name='ConsultationPageTag',
        ),
    ]
