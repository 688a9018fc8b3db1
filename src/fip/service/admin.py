"""Administrator pages: users' roles, municipalities, caseworkers, deployed models, the audit log.

Persons and forms are not in the admin: person-level data are seen through the caseworker
pages only (with their municipality rule and audit)."""

from django.contrib import admin

from fip.service.models import ApiToken, AuditEvent, Caseworker, DeployedModel, Municipality, Profile


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


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    """Tokens are created by ``fip api-token`` (the token is shown once there); here they are
    listed and revoked (deleted), or their expiry is shortened."""

    list_display = ("prefix", "user", "name", "created_at", "expires_at", "last_used_at")
    readonly_fields = ("user", "prefix", "token_sha256", "created_at", "last_used_at")

    def has_add_permission(self, request):
        return False


admin.site.register(Municipality)
admin.site.register(Caseworker)
