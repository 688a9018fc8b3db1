"""The service's tables: the FIP dataset layout, plus users' roles, models and the audit log.

``Municipality``, ``Caseworker``, ``Person``, ``Form`` and ``Outcome`` hold exactly the
columns of ``configs/schema.yaml`` (a form's item answers in ``answers``, keyed by the
instrument's item ids); :func:`fip.service.data.service_dataset` turns them into a
:class:`fip.data.Dataset`. ``person_id`` is pseudonymous: a citizen created from a CPR
number gets the store's keyed hash of it (:func:`fip.store.pseudonymise.pseudonym`).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

#: Longest reason a caseworker may type for their own assessment on the citizen page
#: (characters); the column holds what an import may bring (fip.store.screen.MAX_TEXT).
ASSESSMENT_REASON_MAX = 500

ROLES = (
    ("caseworker", _("Caseworker")),
    ("manager", _("Manager")),
    ("analyst", _("Analyst")),
    ("researcher", _("Researcher")),
    ("administrator", _("Administrator")),
)


class Municipality(models.Model):
    code = models.CharField(max_length=100, unique=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("municipality")
        verbose_name_plural = _("municipalities")

    def __str__(self) -> str:
        return self.code


class Caseworker(models.Model):
    caseworker_id = models.CharField(max_length=100, unique=True)
    municipality = models.ForeignKey(Municipality, on_delete=models.PROTECT, related_name="caseworkers")

    class Meta:
        ordering = ["caseworker_id"]
        verbose_name = _("caseworker")

    def __str__(self) -> str:
        return self.caseworker_id


class Person(models.Model):
    person_id = models.CharField(max_length=100, unique=True)
    municipality = models.ForeignKey(Municipality, on_delete=models.PROTECT, related_name="persons")
    #: the caseworker responsible for the citizen (the citizen's "own" caseworker)
    caseworker = models.ForeignKey(Caseworker, null=True, blank=True, on_delete=models.SET_NULL, related_name="persons")
    gender = models.CharField(max_length=20)
    birth_year = models.IntegerField(null=True, blank=True)
    origin = models.CharField(max_length=1000, blank=True)
    education = models.CharField(max_length=40, blank=True)
    work_experience = models.CharField(max_length=40, blank=True)
    arrival_date = models.DateField(null=True, blank=True)
    residence_ground = models.CharField(max_length=40, blank=True)

    class Meta:
        ordering = ["id"]
        verbose_name = _("citizen")


class Form(models.Model):
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="forms")
    caseworker = models.ForeignKey(Caseworker, on_delete=models.PROTECT, related_name="forms")
    respondent = models.CharField(max_length=40)
    answered_on = models.DateField()
    language = models.CharField(max_length=10, blank=True)
    visitation = models.CharField(max_length=40, blank=True)
    #: item id -> score (only the respondent's answered items)
    answers = models.JSONField(default=dict)
    #: the caseworker's own assessment of the job chance (caseworker forms; the library's
    #: ``caseworker_assessment`` codes low/medium/high, blank: none) and why (``assessment_reason``)
    caseworker_assessment = models.CharField(max_length=10, blank=True)
    assessment_reason = models.CharField(max_length=1000, blank=True)
    #: one token per rendered form: a resent or double-clicked submission stores one form
    submission_token = models.UUIDField(null=True, blank=True, unique=True)
    entered_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    entered_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        constraints = [models.UniqueConstraint(fields=["person", "respondent", "answered_on"], name="form_key")]


class Outcome(models.Model):
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="outcomes")
    month = models.DateField(help_text="first day of the month")
    employment_rate = models.FloatField()
    ordinary_employment = models.BooleanField()
    education = models.BooleanField()

    class Meta:
        ordering = ["id"]
        constraints = [models.UniqueConstraint(fields=["person", "month"], name="outcome_key")]


class Profile(models.Model):
    """A user's role and municipality (none for researchers and administrators)."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="fip_profile")
    role = models.CharField(max_length=20, choices=ROLES)
    municipality = models.ForeignKey(Municipality, null=True, blank=True, on_delete=models.PROTECT)
    caseworker = models.OneToOneField(Caseworker, null=True, blank=True, on_delete=models.SET_NULL)

    class Meta:
        verbose_name = _("role")

    def __str__(self) -> str:
        return f"{self.user} ({self.role})"


class DeployedModel(models.Model):
    """A job-chance model file (:mod:`fip.predict.modelfile`) as deployed; one active per kind
    and municipality (and one per kind for all municipalities)."""

    kind = models.CharField(max_length=20)
    #: the municipality whose citizens the model scores; none: every municipality without a
    #: model of its own (deployed by an administrator, or by ``fip serve --demo``)
    municipality = models.ForeignKey(Municipality, null=True, blank=True, on_delete=models.PROTECT,
                                     related_name="models")
    sha256 = models.CharField(max_length=64)
    content = models.TextField(help_text="the model file (checksummed JSON)")
    active = models.BooleanField(default=True)
    deployed_at = models.DateTimeField(auto_now_add=True)
    deployed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)

    class Meta:
        ordering = ["-deployed_at"]
        verbose_name = _("deployed model")


class AuditEvent(models.Model):
    """Who opened which citizen, who entered a form, who exported what."""

    at = models.DateTimeField(auto_now_add=True, db_index=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL)
    action = models.CharField(max_length=40)
    person = models.ForeignKey(Person, null=True, blank=True, on_delete=models.SET_NULL)
    detail = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["-at"]
        verbose_name = _("audit event")


class LoginFailure(models.Model):
    """A failed login (user name and client address), for throttling."""

    at = models.DateTimeField(auto_now_add=True, db_index=True)
    username = models.CharField(max_length=150, db_index=True)
    address = models.CharField(max_length=64, db_index=True)


class ApiToken(models.Model):
    """A bearer token of the HTTP API (:mod:`fip.service.api`). Only the SHA-256 of the token
    is stored; the token itself is shown once, when it is created (``fip api-token``). A
    token acts as its owner: same role, same municipality, same persons."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="fip_api_tokens")
    name = models.CharField(max_length=100, blank=True, help_text="what the token is for (e.g. the case system)")
    #: SHA-256 (hex) of the token; the token has 256 random bits, so no salt or slow hash is needed
    token_sha256 = models.CharField(max_length=64, unique=True)
    #: the token's first characters, to tell tokens apart in the admin
    prefix = models.CharField(max_length=12)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    last_used_at = models.DateTimeField(null=True, blank=True)
    #: what the token may do (names of :data:`fip.service.scopes.SCOPES`), on top of its user's role
    scopes = models.JSONField(default=list, blank=True,
                              help_text="what the token may do (its user's role still applies)")
    #: requests per window of API_RATE_WINDOW seconds; none: the service's API_RATE_LIMIT
    rate_limit = models.PositiveIntegerField(null=True, blank=True,
                                             help_text="requests per window; blank: the service's default "
                                                       "(FIP_API_RATE_LIMIT)")

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("API token")

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.user})"


class ApiRequest(models.Model):
    """One served request of an API token, kept for one window (:mod:`fip.service.ratelimit`):
    the shared log every server process counts the token's last window in."""

    token = models.ForeignKey(ApiToken, on_delete=models.CASCADE, related_name="requests")
    at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["token", "at"], name="api_request_token_at")]
