"""Pages of the service. Each view is a thin shell over the library (fip.star, fip.predict,
fip.data validators, fip.store's keyed hash); person-level data come only through
:func:`fip.service.access.visible_persons`."""

from __future__ import annotations

import logging
import os
import queue
import threading
import uuid

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import Count, Max
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from fip.data.form_row import check_form_row
from fip.errors import FipError, InvalidDataError
from fip.messages import languages, section
from fip.service import citizen_cache
from fip.service.access import audit, profile, role, role_page, visible_persons
from fip.service.chance import person_chance
from fip.service.data import instrument, service_dataset, store_assessment, translations
from fip.service.forms import AssessmentForm, CprForm, NewCitizenForm, answer_form_class
from fip.service.middleware import DOCUMENT_POLICY
from fip.service.models import Form, Person
from fip.star import card_html, chance_words
from fip.star_svg import star_svg as draw_star_svg
from fip.store.pseudonymise import pseudonym, resolve_key
from fip.translation import right_to_left_languages

LANGUAGE_NAMES = {"da": gettext_lazy("Danish"), "ar": gettext_lazy("Arabic"), "so": gettext_lazy("Somali"),
                  "fa": gettext_lazy("Farsi"), "ti": gettext_lazy("Tigrinya"), "en": gettext_lazy("English")}
#: Answer languages written right to left (configs/languages.yaml).
RTL = right_to_left_languages()
_SESSION_NEW = "fip_new_citizen"


def _lang() -> str:
    """The page language for library texts (an instrument label language)."""
    lang = (get_language() or "da")[:2]
    return lang if lang in instrument().label_languages else "da"


def _document(body: str | bytes, content_type: str) -> HttpResponse:
    response = HttpResponse(body, content_type=content_type)
    response["Content-Security-Policy"] = DOCUMENT_POLICY
    response["X-Frame-Options"] = "SAMEORIGIN"
    return response


@login_required
def home(request):
    r = role(request.user)
    if r == "caseworker":
        return redirect("citizens")
    if r == "administrator":
        return redirect("admin:index")
    if r == "manager":
        return redirect("manager")
    if r == "analyst":
        return redirect("upload")
    if r == "researcher":
        return redirect("export")
    return render(request, "fipservice/home.html", {})


def _citizen_list(request, cpr_errors=(), status=200):
    """The caseworker's citizens and the CPR search (a typed number is never rendered back)."""
    persons = (visible_persons(request.user).annotate(last_form=Max("forms__answered_on"), n_forms=Count("forms"))
               .order_by("-last_form", "-id")[:100])
    return render(request, "fipservice/citizens.html", {"persons": persons, "cpr_form": CprForm(),
                                                            "cpr_errors": list(cpr_errors)}, status=status)


@role_page("caseworker")
def citizens(request):
    return _citizen_list(request)


@role_page("caseworker")
@require_POST
def find_citizen(request):
    """A CPR number typed in is hashed at once; neither it nor its pseudonym is shown or logged."""
    form = CprForm(request.POST)
    if not form.is_valid():
        return _citizen_list(request, form.errors["cpr"], status=400)
    try:
        key = resolve_key()
    except FipError:
        key = None
    if key is None:
        messages.error(request, _("The service has no pseudonym key (FIP_PSEUDONYM_KEY); citizens cannot be "
                                  "found or created by CPR number. Ask an administrator."))
        return _citizen_list(request, status=503)
    pid = pseudonym(form.cleaned_data["cpr"], key)
    del form
    person = visible_persons(request.user).filter(person_id=pid).first()
    if person is not None:
        return redirect("citizen", pk=person.pk)
    if Person.objects.filter(person_id=pid).exists():
        messages.error(request, _("This CPR number belongs to a citizen you cannot open. Ask an administrator "
                                  "to move the citizen to you."))
        return redirect("citizens")
    request.session[_SESSION_NEW] = pid
    return redirect("new_citizen")


@role_page("caseworker")
def new_citizen(request):
    pid = request.session.get(_SESSION_NEW)
    p = profile(request.user)
    if pid is None:
        return redirect("citizens")
    if p.caseworker is None:
        raise PermissionDenied
    form = NewCitizenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            with transaction.atomic():
                person = Person.objects.create(person_id=pid, municipality=p.municipality, caseworker=p.caseworker,
                                               **form.cleaned_data)
                service_dataset(Person.objects.filter(pk=person.pk))   # the library's validators
        except IntegrityError:
            messages.error(request, _("This citizen has just been created by someone else."))
            return redirect("citizens")
        except InvalidDataError as exc:
            form.add_error(None, "; ".join(problem.expected for problem in exc.problems))
        else:
            del request.session[_SESSION_NEW]
            audit(request, "create citizen", person)
            messages.success(request, _("Citizen created."))
            return redirect("enter_form", pk=person.pk, respondent=instrument().respondent_ids[0])
    return render(request, "fipservice/new_citizen.html", {"form": form})


def _chance_view(chance, lang: str):
    if chance is None:
        return None
    row = chance.row
    text, words = section(lang, "star"), chance_words(row, lang)
    ups, downs = [], []
    for k in range(1, 4):
        item, c = row.get(f"item_{k}"), row.get(f"item_{k}_contribution")
        if item is not None and c:
            (ups if c > 0 else downs).append(instrument().label(str(item), lang))
    return {"sentence": words.sentence, "range": words.range, "window": words.window, "band": words.band,
            "model": words.model, "up": ups, "down": downs,
            "up_label": text["up"], "down_label": text["down"], "caveat": words.caveat,
            "sha": chance.model_sha256[:12]}


def _person_data(person: Person, key: str | None = None):
    """The citizen's dataset and measurements, once per version of the data (citizen_cache)."""
    return citizen_cache.prepared(person, key)


def _star_text(measurements, person: Person, lang: str) -> str:
    """The star as SVG (fip.star_svg: the data of fip.star.plot_star, drawn without matplotlib);
    titled without the person id: the page says which citizen it is."""
    return draw_star_svg(measurements, instrument(), person.person_id, lang=lang, title=section(lang, "star")["star"])


def _page_data(person: Person, lang: str, key: str) -> dict:
    """Whether the citizen is measured, and the chance; the star drawn at the same time."""
    dataset, measurements = _person_data(person, key)
    measured = bool((measurements["person_id"] == person.person_id).any())
    chance = person_chance(dataset, measurements, person.person_id, lang) if measured else None
    if measured:
        citizen_cache.put("star", key, lang, _star_text(measurements, person, lang))
    return {"measured": measured, "chance": chance}


def warm_citizen_page(pk: int, lang: str) -> None:
    """Compute and cache what the citizen page shows (chance, star) for the citizen's current data.

    The first view after a new form costs ~0.25 s of CPU (pairing and scoring one person); done
    right after the save, in the background (:func:`_warm_after_commit`), the page the caseworker
    opens next is served from the cache. Same key, same values as the page computes itself.
    """
    person = Person.objects.get(pk=pk)
    key = citizen_cache.version(person)
    citizen_cache.cached("citizen", key, lang, lambda: _page_data(person, lang, key))


def _warm_after_commit(person: Person, lang: str) -> None:
    """Once the saved form is committed, queue the citizen page's warm-up (setting
    ``FIP_WARM_CITIZEN_PAGE``, default on). A failure only means the page computes it itself."""
    if not getattr(settings, "FIP_WARM_CITIZEN_PAGE", True):
        return
    pk = person.pk
    transaction.on_commit(lambda: _warm_queue().put((pk, lang)))


_warm = {"pid": None, "queue": None}
_warm_lock = threading.Lock()


def _warm_queue() -> queue.SimpleQueue:
    """This process's warm-up queue, served by one background thread (started in each worker
    process: threads do not survive a fork). One thread, not one per save: when many save at
    once the warm-ups queue behind each other instead of competing with the requests, and a
    page opened before its warm-up ran computes itself (the queued warm-up then finds it done)."""
    with _warm_lock:
        if _warm["pid"] != os.getpid():
            _warm["pid"], _warm["queue"] = os.getpid(), queue.SimpleQueue()
            threading.Thread(target=warm_up_worker, args=(_warm["queue"],), name="fip-warm", daemon=True).start()
        return _warm["queue"]


def warm_up_worker(jobs: queue.SimpleQueue) -> None:
    """Warm the citizen pages of ``jobs`` ((pk, lang) pairs) one after another, until a None."""
    while (job := jobs.get()) is not None:
        try:
            warm_citizen_page(*job)
        except Exception as exc:  # noqa: BLE001 - a warm-up; logged without person data
            logging.getLogger("fip.service").warning("citizen page warm-up failed: %s", type(exc).__name__)
        finally:
            connection.close()


def _level_labels(lang: str) -> dict[str, str]:
    """The caseworker's levels in the words of the model's bands (configs/messages ``star``)."""
    text = section(lang, "star")
    return {"low": text["band_low"], "medium": text["band_middle"], "high": text["band_high"]}


def _assessed_form(person: Person) -> Form | None:
    """The caseworker form an assessment is stored with: the citizen's latest one."""
    return (Form.objects.filter(person=person, respondent=instrument().caseworker_from)
            .order_by("-answered_on", "-id").first())


def _citizen_page(request, person: Person, assessment_form: AssessmentForm | None = None, status: int = 200):
    lang = _lang()
    key = citizen_cache.version(person)
    data = citizen_cache.cached("citizen", key, lang, lambda: _page_data(person, lang, key))
    measured, chance = data["measured"], data["chance"]
    forms = Form.objects.filter(person=person).order_by("-answered_on", "respondent")
    respondents = {r.id: r.label[lang] for r in instrument().respondents}
    assessed = _assessed_form(person) if measured else None
    labels = _level_labels(lang)
    spoken, card_lang = citizen_card_language(person)
    if assessed is not None and assessment_form is None:
        assessment_form = AssessmentForm(level_labels=labels, initial={
            "form": assessed.pk, "caseworker_assessment": assessed.caseworker_assessment or None,
            "assessment_reason": assessed.assessment_reason})
    return render(request, "fipservice/citizen.html", {
        "person": person, "measured": measured, "chance": _chance_view(chance, lang),
        "forms": [(respondents.get(f.respondent, f.respondent), f) for f in forms],
        "respondents": list(respondents.items()),
        "assessed": assessed, "assessment_form": assessment_form,
        "assessment_label": labels.get(assessed.caseworker_assessment, "") if assessed else "",
        "citizen_card": {"language": LANGUAGE_NAMES.get(spoken, spoken), "translated": card_lang == spoken},
    }, status=status)


@role_page("caseworker")
def citizen(request, pk: int):
    person = get_object_or_404(visible_persons(request.user), pk=pk)
    audit(request, "open citizen", person)
    return _citizen_page(request, person)


@role_page("caseworker")
@require_POST
def assessment(request, pk: int):
    """The caseworker's own assessment of the job chance and its reason, stored on the
    caseworker form named in the page (the latest when the page was shown). Saving the same
    values again (a double click, a resent request) changes nothing and logs nothing."""
    person = get_object_or_404(visible_persons(request.user), pk=pk)
    form = AssessmentForm(request.POST, level_labels=_level_labels(_lang()))
    if not form.is_valid():
        return _citizen_page(request, person, form, status=400)
    data = form.cleaned_data
    target = get_object_or_404(Form, pk=data["form"], person=person, respondent=instrument().caseworker_from)
    level, reason = data["caseworker_assessment"], data["assessment_reason"]
    try:
        changed = store_assessment(person, target, level, reason)
    except InvalidDataError as exc:
        form.add_error(None, "; ".join(problem.expected for problem in exc.problems))
        return _citizen_page(request, person, form, status=400)
    if changed:
        audit(request, "assess chance", person, f"{target.answered_on:%Y-%m-%d}: {level}")
    messages.success(request, _("Your assessment is saved."))
    return redirect(reverse("citizen", args=[person.pk]) + "#assessment")


@role_page("caseworker")
def star_svg(request, pk: int):
    person = get_object_or_404(visible_persons(request.user), pk=pk)
    lang, key = _lang(), citizen_cache.version(person)

    def draw() -> str:
        _, measurements = _person_data(person, key)
        try:
            return _star_text(measurements, person, lang)
        except FipError:
            return ""          # not measured: cached as such
    text = citizen_cache.cached("star", key, lang, draw)
    if not text:
        raise Http404
    return _document(text.encode(), "image/svg+xml")


#: The card's language when the citizen's has no translation of the card.
CARD_FALLBACK = "da"


def card_languages() -> tuple[str, ...]:
    """Languages the card can be printed in: a message catalogue (configs/messages) and the
    instrument's labels (label_languages) in that language."""
    return tuple(x for x in instrument().label_languages if x in languages())


def citizen_card_language(person: Person) -> tuple[str, str]:
    """(the citizen's language: that of their latest citizen form with one, else Danish; the
    language of the citizen's card: the same if the card has a translation into it, else Danish)."""
    form = (Form.objects.filter(person=person, respondent=instrument().respondent_ids[0]).exclude(language="")
            .order_by("-answered_on", "-id").first())
    spoken = form.language if form else CARD_FALLBACK
    return spoken, spoken if spoken in card_languages() else CARD_FALLBACK


@role_page("caseworker")
def card(request, pk: int):
    """The printable card: in the user's language, or with ``?for=citizen`` in the citizen's
    (Danish with a notice on the card when it has no translation into it; right to left for a
    right-to-left language)."""
    person = get_object_or_404(visible_persons(request.user), pk=pk)
    key = citizen_cache.version(person)
    dataset, measurements = _person_data(person, key)
    notice = ""
    if request.GET.get("for") == "citizen":
        spoken, lang = citizen_card_language(person)
        if lang != spoken:
            words = section(lang, "card_language")
            names = section(lang, "card_language.names")
            notice = words["untranslated"].format(card_language=names.get(lang, lang),
                                                  language=names.get(spoken, spoken))
    else:
        lang = _lang()
    chance = citizen_cache.cached("citizen", key, lang, lambda: _page_data(person, lang, key))["chance"]
    try:
        page = card_html(measurements, dataset.instrument, person.person_id, chance.row if chance else None, lang=lang,
                         notice=notice)
    except FipError:
        raise Http404 from None
    audit(request, "print card", person, f"in {lang}")
    return _document(page, "text/html; charset=utf-8")


def _items(instrument_, respondent: str, text_lang: str, form, translation=None):
    anchors = translation.anchors if translation else instrument_.scale.anchors.get(text_lang, {})
    out = []
    for k, it in enumerate(instrument_.item_ids(respondent), start=1):
        item = instrument_.item(it)
        value = form[it].value()
        text = translation.items[it] if translation else item.text[text_lang]
        out.append({"id": it, "number": k, "text": text, "domain": item.domain,
                    "errors": form.errors.get(it, []), "value": str(value) if value is not None else "",
                    "choices": [(str(v), anchors.get(v, "")) for v in instrument_.scale.values]})
    return out


@role_page("caseworker")
def enter_form(request, pk: int, respondent: str):
    """One FIP form. A token rendered into the page makes the submission idempotent: the
    same token stored twice (a double click, a request resent after a dropped connection)
    gives one form."""
    person = get_object_or_404(visible_persons(request.user), pk=pk)
    inst = instrument()
    if respondent not in inst.respondent_ids:
        raise Http404
    caseworker = profile(request.user).caseworker
    if caseworker is None:
        raise PermissionDenied
    citizen_form = respondent == inst.respondent_ids[0]
    answer_langs = inst.answer_languages if citizen_form else (_lang(),)
    cls = answer_form_class(inst, respondent, answer_langs)
    if request.method == "POST":
        form = cls(request.POST)
        lang = request.POST.get("language") or answer_langs[0]
        token = request.POST.get("submission_token", "")
        try:
            done = Form.objects.filter(submission_token=uuid.UUID(token)).first()
        except ValueError:
            done = None
        if done is not None:
            if done.person_id != person.pk or done.respondent != respondent:
                raise PermissionDenied
            messages.info(request, _("This form was already saved."))
            return _after_save(person, respondent)
        if form.is_valid():
            data = form.cleaned_data
            answers = {it: data[it] for it in inst.item_ids(respondent)}
            language = data["language"] or lang
            # the library's rules for this one form (fip.data.form_row), not the whole dataset again
            problems = check_form_row({"person_id": person.person_id, "caseworker_id": caseworker.caseworker_id,
                                       "respondent": respondent, "answered_on": data["answered_on"],
                                       "language": language, **answers}, inst,
                                      arrival_date=person.arrival_date, today=timezone.localdate())
            try:
                if problems:
                    raise InvalidDataError(problems)
                with transaction.atomic():   # the form and its audit event, or neither
                    Form.objects.create(person=person, caseworker=caseworker, respondent=respondent,
                                        answered_on=data["answered_on"], language=language,
                                        answers=answers, submission_token=data["submission_token"],
                                        entered_by=request.user)
                    audit(request, "enter form", person, respondent)
            except IntegrityError:
                if Form.objects.filter(submission_token=data["submission_token"]).exists():
                    messages.info(request, _("This form was already saved."))
                    return _after_save(person, respondent)
                form.add_error("answered_on", _("A form of this kind is already saved for this citizen on this "
                                                "date."))
            except InvalidDataError as exc:
                form.add_error(None, "; ".join(problem.expected for problem in exc.problems))
            else:
                messages.success(request, _("Form saved."))
                if respondent == instrument().respondent_ids[-1]:   # the pair is complete: its page comes next
                    _warm_after_commit(person, _lang())
                return _after_save(person, respondent)
    else:
        lang = request.GET.get("lang", answer_langs[0])
        if lang not in answer_langs:
            lang = answer_langs[0]
        form = cls(initial={"submission_token": uuid.uuid4(), "answered_on": timezone.localdate(),
                            "language": lang})
    translation = None if lang in inst.label_languages else translations().get((lang, respondent))
    text_lang = lang if lang in inst.label_languages or translation else "da"
    respondent_label = {r.id: r.label[_lang()] for r in inst.respondents}[respondent]
    return render(request, "fipservice/enter_form.html", {
        "person": person, "form": form, "respondent": respondent, "respondent_label": respondent_label,
        "citizen_form": citizen_form, "items": _items(inst, respondent, text_lang, form, translation),
        "lang": lang, "text_lang": text_lang, "rtl": text_lang in RTL,
        "untranslated": text_lang != lang, "unreviewed": translation is not None and not translation.reviewed,
        "lang_name": LANGUAGE_NAMES.get(lang, lang),
        "answer_languages": [(x, LANGUAGE_NAMES.get(x, x)) for x in answer_langs],
    }, status=400 if request.method == "POST" else 200)


def _after_save(person: Person, respondent: str):
    ids = instrument().respondent_ids
    k = ids.index(respondent)
    if k + 1 < len(ids):
        return redirect("enter_form", pk=person.pk, respondent=ids[k + 1])
    return redirect("citizen", pk=person.pk)
