"""Django forms of the service: CPR search, a new citizen, one FIP form (items from the instrument),
the caseworker's own assessment of the job chance."""

from __future__ import annotations

import re

import pandas as pd
from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from fip.data.schema import schema_codes
from fip.formulas import formula_like
from fip.instrument import Instrument
from fip.personal import contains_cpr
from fip.service.models import ASSESSMENT_REASON_MAX

_CPR = re.compile(r"\d{6}-?\d{4}")
_CPR_MESSAGE = _("A CPR number is ten digits, ddmmyy-xxxx or ddmmyyxxxx.")


class CprForm(forms.Form):
    """A CPR number typed in: only its pseudonym leaves the request (see views.find_citizen)."""

    cpr = forms.CharField(label=_("CPR number"), error_messages={"required": _CPR_MESSAGE},
                          widget=forms.TextInput(attrs={"autocomplete": "off", "inputmode": "numeric",
                                                        "spellcheck": "false"}))

    def clean_cpr(self) -> str:
        value = self.cleaned_data["cpr"].strip()
        if not _CPR.fullmatch(value):
            raise forms.ValidationError(_CPR_MESSAGE)
        return value


def _choices(table: str, column: str, labels: dict) -> list[tuple[str, str]]:
    return [(c, labels.get(c, c)) for c in schema_codes(table, column)]


class NewCitizenForm(forms.Form):
    gender = forms.ChoiceField(label=_("Gender"), choices=())
    birth_year = forms.IntegerField(label=_("Birth year"), min_value=1900, max_value=2100)
    origin = forms.CharField(label=_("Country of origin"), max_length=100)
    education = forms.ChoiceField(label=_("Education brought from the home country"), choices=())
    work_experience = forms.ChoiceField(label=_("Work experience from the home country"), choices=())
    arrival_date = forms.DateField(label=_("Arrival in Denmark"), widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["gender"].choices = _choices("persons", "gender", {"female": _("woman"), "male": _("man")})
        self.fields["education"].choices = _choices("persons", "education", {
            "primary": _("primary school"), "beyond_primary": _("beyond primary school"), "none": _("none"),
            "unknown": _("unknown")})
        self.fields["work_experience"].choices = _choices("persons", "work_experience", {
            "yes": _("yes"), "no": _("no"), "unknown": _("unknown")})

    def clean_origin(self) -> str:
        value = self.cleaned_data["origin"].strip()
        if _CPR.search(value):
            self.data = self.data.copy()
            self.data["origin"] = ""          # not rendered back into the page
            raise forms.ValidationError(_("This looks like a CPR number; write the country."))
        if value[:1] in ("=", "+", "-", "@"):
            raise forms.ValidationError(_("Write the country without a leading =, +, - or @."))
        return value


def answer_form_class(instrument: Instrument, respondent: str, answer_languages: tuple[str, ...]):
    """A form class with one required 1-7 (scale) choice per item of ``respondent``."""
    scale = [(str(v), str(v)) for v in instrument.scale.values]
    fields = {it: forms.TypedChoiceField(choices=scale, coerce=int, widget=forms.RadioSelect,
                                         error_messages={"required": _("Choose an answer.")})
              for it in instrument.item_ids(respondent)}
    fields["submission_token"] = forms.UUIDField(widget=forms.HiddenInput)
    fields["answered_on"] = forms.DateField(label=_("Date"), widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"}))
    fields["language"] = forms.ChoiceField(choices=[(x, x) for x in answer_languages], required=False)

    def clean_answered_on(self):
        day = self.cleaned_data["answered_on"]
        if day > timezone.localdate():
            raise forms.ValidationError(_("The date is in the future."))
        return day

    fields["clean_answered_on"] = clean_answered_on
    return type(f"{respondent.title()}AnswerForm", (forms.Form,), fields)


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


class AssessmentForm(forms.Form):
    """The caseworker's own assessment of a citizen's job chance and a short reason, stored on
    one caseworker form (``form``: its row number, rendered into the page, so a resent request
    changes the same form and a later form is never changed by an older page).

    The levels are the library's ``caseworker_assessment`` codes (``configs/schema.yaml``);
    the reason is screened as an import screens text (:mod:`fip.store.screen`): no CPR
    number, no formula-like start, no control characters, at most
    :data:`~fip.service.models.ASSESSMENT_REASON_MAX` characters.
    """

    form = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    caseworker_assessment = forms.ChoiceField(label=_("Your assessment"), choices=(), widget=forms.RadioSelect,
                                              error_messages={"required": _("Choose low, medium or high.")})
    assessment_reason = forms.CharField(label=_("Reason"), required=False, max_length=ASSESSMENT_REASON_MAX,
                                        widget=forms.Textarea(attrs={"rows": 3, "maxlength": ASSESSMENT_REASON_MAX}))

    def __init__(self, *args, level_labels: dict[str, str] | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["caseworker_assessment"].choices = _choices("forms", "caseworker_assessment", level_labels or {})

    def clean_assessment_reason(self) -> str:
        value = self.cleaned_data["assessment_reason"].strip()
        if not value:
            return ""
        cell = pd.Series([value], dtype=object)
        if bool(contains_cpr(cell)[0]):
            self.data = self.data.copy()
            self.data["assessment_reason"] = ""          # not rendered back into the page
            raise forms.ValidationError(_("This looks like a CPR number; leave it out of the reason."))
        if bool(formula_like(cell)[0]):
            raise forms.ValidationError(_("Write the reason without a leading =, +, - or @."))
        if _CONTROL.search(value):
            raise forms.ValidationError(_("The reason has control characters; type it again."))
        return value
