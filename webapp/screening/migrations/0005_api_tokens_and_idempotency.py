"""API tokens become many per user, named, expiring and rate-limited; uploads get
Idempotency-Key records. Existing keys keep working, named "API key", for 90 more days."""

from datetime import timedelta

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models

import webapp.screening.api_models


def expire_existing_keys(apps, schema_editor):
    ApiToken = apps.get_model("screening", "ApiToken")
    ApiToken.objects.update(expires_at=django.utils.timezone.now() + timedelta(days=90))


class Migration(migrations.Migration):

    dependencies = [
        ("screening", "0004_site_validation"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AlterField(
            model_name="apitoken",
            name="user",
            field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE,
                                    related_name="api_tokens", to=settings.AUTH_USER_MODEL),
        ),
        migrations.AddField(
            model_name="apitoken",
            name="name",
            field=models.CharField(default="API key", max_length=100, verbose_name="name"),
        ),
        migrations.AddField(
            model_name="apitoken",
            name="expires_at",
            field=models.DateTimeField(null=True, verbose_name="expires"),
        ),
        migrations.RunPython(expire_existing_keys, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="apitoken",
            name="expires_at",
            field=models.DateTimeField(verbose_name="expires"),
        ),
        migrations.AddField(
            model_name="apitoken",
            name="rate_limit",
            field=models.PositiveIntegerField(default=webapp.screening.api_models.default_rate_limit),
        ),
        migrations.AddField(
            model_name="apitoken",
            name="window_start",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="apitoken",
            name="window_count",
            field=models.PositiveIntegerField(default=0),
        ),
        migrations.AlterModelOptions(
            name="apitoken",
            options={"ordering": ["-created_at", "-id"]},
        ),
        migrations.CreateModel(
            name="IdempotentUpload",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("key", models.CharField(max_length=255)),
                ("fingerprint", models.CharField(max_length=64)),
                ("created_at", models.DateTimeField(default=django.utils.timezone.now)),
                ("owner", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="+",
                                            to=settings.AUTH_USER_MODEL)),
                ("reading", models.OneToOneField(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE,
                                                 related_name="+", to="screening.reading")),
            ],
            options={
                "constraints": [models.UniqueConstraint(fields=("owner", "key"), name="idempotency_key_per_user")],
            },
        ),
    ]
