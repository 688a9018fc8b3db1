"""Administrator pages: users' roles, municipalities, caseworkers, deployed models, the audit log.

Persons and forms are not in the admin: person-level data are seen through the caseworker
pages only (with their municipality rule and audit)."""

from django import forms
from django.contrib import admin

from fip.service.models import ApiToken, AuditEvent, Caseworker, DeployedModel, Municipality, Profile
from fip.service.scopes import SCOPES


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    list_display = ("at", "user", "action", "person_number", "detail")
    list_filter = ("action",)
    search_fields = ("user__username", "action")
    date_hierarchy = "at"

    @admin.display(description="citizen (row number)")
    def person_number(self, obj):
        return obj.person_id

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Profile)
class ProfileAdmin(admin.ModelAdmin):
    list_display = ("user", "role", "municipality", "caseworker")
    list_filter = ("role", "municipality")


@admin.register(DeployedModel)
class DeployedModelAdmin(admin.ModelAdmin):
    list_display = ("kind", "municipality", "sha256", "active", "deployed_at", "deployed_by")
    list_filter = ("kind", "municipality", "active")
    readonly_fields = ("kind", "sha256", "content", "deployed_at", "deployed_by")


class ApiTokenForm(forms.ModelForm):
    """The token's scopes as checkboxes (stored as a sorted list of scope names)."""

    scopes = forms.MultipleChoiceField(choices=[(k, f"{k}: {v}") for k, v in SCOPES.items()], required=False,
                                       widget=forms.CheckboxSelectMultiple,
                                       help_text="what the token may do; its user's role still applies")

    class Meta:
        model = ApiToken
        fields = ("name", "scopes", "rate_limit", "expires_at")

    def clean_scopes(self) -> list[str]:
        return sorted(set(self.cleaned_data["scopes"]))


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    """Tokens are created by ``fip api-token`` (the token is shown once there); here they are
    listed and revoked (deleted), their scopes and rate limit set, or their expiry shortened."""

    form = ApiTokenForm
    list_display = ("prefix", "user", "name", "scope_list", "rate_limit", "created_at", "expires_at", "last_used_at")
    readonly_fields = ("user", "prefix", "token_sha256", "created_at", "last_used_at")

    @admin.display(description="scopes")
    def scope_list(self, obj):
        return " ".join(obj.scopes or []) or "-"

    def has_add_permission(self, request):
        return False


admin.site.register(Municipality)
admin.site.register(Caseworker)
