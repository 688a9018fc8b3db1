"""Django application config of the FIP service."""

from django.apps import AppConfig


class FipServiceConfig(AppConfig):
    name = "fip.service"
    label = "fipservice"
    verbose_name = "FIP"
    default_auto_field = "django.db.models.BigAutoField"
