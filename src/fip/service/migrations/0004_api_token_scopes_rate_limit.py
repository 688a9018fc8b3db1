# Token scopes and the shared rate-limit counter (issue 16 item 5).

import django.db.models.deletion
from django.db import migrations, models

#: The scopes as of this migration: tokens made before scopes existed keep what they could do
#: (every scope; their user's role still limits them).
ALL_SCOPES = ["assessment:read", "assessment:write", "chance:read", "citizens:read", "citizens:write",
              "export:read", "forms:write"]


def every_scope(apps, schema_editor):
    ApiToken = apps.get_model("fipservice", "ApiToken")
    ApiToken.objects.update(scopes=ALL_SCOPES)


class Migration(migrations.Migration):

    dependencies = [
        ('fipservice', '0003_form_caseworker_assessment'),
    ]

    operations = [
        migrations.AddField(
            model_name='apitoken',
            name='scopes',
            field=models.JSONField(blank=True, default=list, help_text="what the token may do (its user's role still applies)"),
        ),
        migrations.AddField(
            model_name='apitoken',
            name='rate_limit',
            field=models.PositiveIntegerField(blank=True, null=True, help_text="requests per window; blank: the service's default (FIP_API_RATE_LIMIT)"),
        ),
        migrations.RunPython(every_scope, migrations.RunPython.noop),
        migrations.CreateModel(
            name='ApiRateWindow',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('window_start', models.DateTimeField()),
                ('count', models.PositiveIntegerField(default=0)),
                ('token', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='rate_windows', to='fipservice.apitoken')),
            ],
            options={
                'constraints': [models.UniqueConstraint(fields=('token', 'window_start'), name='rate_window_key')],
            },
        ),
    ]
