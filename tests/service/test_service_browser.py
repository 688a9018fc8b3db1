"""End to end in headless Chromium (Debian's /usr/bin/chromium driven by Playwright): a
caseworker logs in, creates a citizen, enters both forms with the keyboard only, sees the star
and the chance, and prints the one-page card. No page breaks the Content Security Policy.

Screenshots go to a temporary folder, or to the folder in FIP_SERVICE_SCREENSHOTS
(``FIP_SERVICE_SCREENSHOTS=docs pytest tests/service/test_service_browser.py`` refreshes
docs/service_*.png)."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from fip.service.data import instrument
from fip.service.models import Form, Person

CHROMIUM = Path("/usr/bin/chromium")
sync_api = pytest.importorskip("playwright.sync_api")
pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium (apt-get install chromium)")


@pytest.fixture
def browser_page(live_service, live_server, monkeypatch, tmp_path):
    # Playwright's sync API runs an event loop in this thread; the ORM calls of the test
    # itself are synchronous and safe
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    shots = Path(os.environ.get("FIP_SERVICE_SCREENSHOTS") or tmp_path)
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1100, "height": 900}, locale="da-DK")
        problems = []
        page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: problems.append(str(e)))
        yield page, live_server.url, shots, problems
        browser.close()
        # the test's own ORM calls ran inside Playwright's event loop, whose context holds its
        # own database connection (asgiref's context-local): closed here, in that context, or
        # PostgreSQL's test database could not be dropped at the end ("1 other session")
        from django.db import connections

        connections.close_all()


def shot(page, shots: Path, name: str) -> None:
    page.screenshot(path=str(shots / f"service_{name}.png"), full_page=True)


def log_in(page, login) -> None:
    """Type the user name (the field has the focus on load), Tab, the password, Enter."""
    page.wait_for_function("document.activeElement && document.activeElement.id === 'id_username'")
    page.keyboard.type(login.username)
    page.keyboard.press("Tab")
    page.keyboard.type(login.password)
    page.keyboard.press("Enter")


def keyboard_form(page, respondent: str, values: list[int]) -> None:
    """Answer every item with the keyboard: the first by Tab and arrow keys, the rest by digits."""
    items = instrument().item_ids(respondent)
    page.focus("#form-lang" if respondent == "citizen" else "#ui-language")
    # Tab until the first radio button of the first item has the focus
    for _ in range(8):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.name") == items[0]:
            break
    assert page.evaluate("document.activeElement.name") == items[0]
    for _ in range(values[0] - 1):
        page.keyboard.press("ArrowRight")
    page.keyboard.press("Tab")             # on to the second item (its first button)
    for v in values[1:]:
        page.keyboard.press(str(v))        # chooses v and moves to the next item
    assert page.evaluate("document.activeElement.id") == "save"
    checked = page.evaluate("Array.from(document.querySelectorAll('input[type=radio]:checked')).map(e => e.value)")
    assert checked == [str(v) for v in values]
    page.keyboard.press("Enter")


def test_caseworker_enters_both_forms_with_the_keyboard(browser_page, live_service):
    page, url, shots, problems = browser_page
    login = live_service.logins["caseworker-kommune_03"]
    page.goto(url + "/login/")
    shot(page, shots, "login")
    log_in(page, login)
    page.wait_for_url(re.compile(r"/citizens/$"))
    shot(page, shots, "citizens")

    page.focus("#id_cpr")
    page.keyboard.type("020285-4321")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/citizens/new/$"))
    page.select_option("#id_gender", "male")
    page.fill("#id_birth_year", "1985")
    page.fill("#id_origin", "Eritrea")
    page.select_option("#id_education", "primary")
    page.select_option("#id_work_experience", "yes")
    page.fill("#id_arrival_date", "2015-11-20")
    shot(page, shots, "new_citizen")
    page.focus("#id_arrival_date")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/forms/citizen/$"))
    shot(page, shots, "citizen_form")

    citizen_values = [5, 4, 6, 3, 5, 6, 7, 4, 5, 2, 6]
    keyboard_form(page, "citizen", citizen_values)
    page.wait_for_url(re.compile(r"/forms/caseworker/$"))
    shot(page, shots, "caseworker_form")
    caseworker_values = [4, 4, 5, 3, 4, 5, 6, 3, 4, 3, 5]
    keyboard_form(page, "caseworker", caseworker_values)
    page.wait_for_url(re.compile(r"/citizens/\d+/$"))

    star = page.locator("#star")
    star.wait_for()
    assert page.evaluate("document.getElementById('star').naturalWidth") > 300
    chance = page.inner_text("#chance")
    assert re.search(r"Omkring \d+ ud af (10|100) personer", chance), chance
    # the caseworker's own assessment beside the model's: keyboard to the radio, type the reason
    page.check("input[name=caseworker_assessment][value=high]")
    page.fill("#id_assessment_reason", "Har fået en praktikplads i sin egen branche.")
    page.click("#save-assessment")
    page.wait_for_selector("#assessment-saved")
    assert "Din vurdering af chancen for job: høj" in page.inner_text("#assessment-saved")
    page.locator("#star").wait_for()
    for _ in range(100):                   # the star image has loaded again after the save
        if page.evaluate("document.getElementById('star').naturalWidth") > 300:
            break
        page.wait_for_timeout(100)
    assert page.evaluate("document.getElementById('star').naturalWidth") > 300
    shot(page, shots, "result")

    person = Person.objects.get(origin="Eritrea", birth_year=1985)
    forms = {f.respondent: f.answers for f in Form.objects.filter(person=person)}
    assert forms == {"citizen": dict(zip(instrument().item_ids("citizen"), citizen_values)),
                     "caseworker": dict(zip(instrument().item_ids("caseworker"), caseworker_values))}
    assert list(Form.objects.filter(person=person).exclude(caseworker_assessment="").values_list(
        "respondent", "caseworker_assessment", "assessment_reason")) == [
        ("caseworker", "high", "Har fået en praktikplads i sin egen branche.")]

    page.click("text=Printable card") if page.locator("text=Printable card").count() else page.click("text=Udskriftsvenligt kort")
    page.wait_for_url(re.compile(r"/card/$"))
    assert "Omkring" in page.inner_text("body")
    shot(page, shots, "card")
    pdf = page.pdf(format="A4")
    assert len(re.findall(rb"/Type\s*/Page[^s]", pdf)) == 1     # the card prints on one page
    assert problems == []                                       # no CSP violation, no script error


def test_manager_sees_the_status_note(browser_page, live_service):
    page, url, shots, problems = browser_page
    login = live_service.logins["manager-kommune_03"]
    page.goto(url + "/login/")
    log_in(page, login)
    page.wait_for_url(re.compile(r"/manager/$"))
    frame = page.frame_locator("iframe.note")
    frame.locator("h1").first.wait_for()
    assert "kommune_03" in frame.locator("body").inner_text()
    assert page.locator("#caseload tbody tr").count() >= 2
    shot(page, shots, "manager")
    assert problems == []


def test_analyst_uploads_a_broken_file_and_sees_its_problems(browser_page, live_service, tmp_path):
    import pandas as pd

    from fip.data import write_dataset
    from fip.simulate import simulate_cohort

    page, url, shots, problems = browser_page
    ds = simulate_cohort(20, seed=5)
    folder = write_dataset(ds, tmp_path / "up", "csv")
    forms = pd.read_csv(folder / "forms.csv", dtype=str)
    forms.loc[0, "w02"] = "12"
    forms.to_csv(folder / "forms.csv", index=False)
    before = Person.objects.count()
    page.goto(url + "/login/")
    log_in(page, live_service.logins["analyst-kommune_03"])
    page.wait_for_url(re.compile(r"/analyst/upload/$"))
    for table in ("persons", "forms", "outcomes"):
        page.set_input_files(f"#id_{table}", str(folder / f"{table}.csv"))
    page.click("button.primary")
    page.locator("#problems").wait_for()
    text = page.inner_text("#problems")
    assert "forms.csv\t2\tw02\t12" in text
    shot(page, shots, "upload")
    assert Person.objects.count() == before
    assert problems == [] or all("400" in p for p in problems)   # the page itself answers 400


def test_analyst_deploys_a_model_and_exports_in_one_click(browser_page, live_service, cohort, tmp_path):
    import zipfile

    page, url, shots, problems = browser_page
    model = next(m for m in cohort[1] if m.kind == "intake")
    path = tmp_path / "intake.json"
    path.write_text(model.to_json(), encoding="utf-8")
    page.goto(url + "/login/")
    log_in(page, live_service.logins["analyst-kommune_03"])
    page.wait_for_url(re.compile(r"/analyst/upload/$"))
    page.goto(url + "/analyst/models/")
    page.set_input_files("#id_model_file", str(path))
    page.click("button.primary")
    page.wait_for_url(re.compile(r"/analyst/models/$"))
    table = page.inner_text("#models")
    assert model.sha256 in table and "kommune_03" in table
    shot(page, shots, "models")
    page.goto(url + "/analyst/export/")
    with page.expect_download() as info:
        page.click("button:has-text('Stata')")
    target = tmp_path / "export.zip"
    info.value.save_as(target)
    with zipfile.ZipFile(target) as z:
        assert sorted(z.namelist()) == ["forms.dta", "outcomes.dta", "persons.dta"]
    shot(page, shots, "export")
    assert problems == []


def test_citizen_form_switches_to_a_right_to_left_language(browser_page, live_service, settings):
    """Issue 16 item 8: the caseworker switches the citizen form to Arabic (the TEST-ONLY
    placeholder file tests/service/data/ar.test-only.yaml, not a translation): the form is
    laid out right to left, staff see that the texts are not reviewed, and the 1-7 buttons
    still work by keyboard."""
    from fip.service.access import visible_persons

    settings.FIP_TRANSLATIONS = str(Path(__file__).parent / "data")
    page, url, shots, problems = browser_page
    login = live_service.logins["caseworker-kommune_03"]
    person = visible_persons(live_service.user(login.username)).order_by("pk").first()
    page.goto(url + "/login/")
    log_in(page, login)
    page.wait_for_url(re.compile(r"/citizens/$"))
    page.goto(url + f"/citizens/{person.pk}/forms/citizen/")
    assert page.evaluate("getComputedStyle(document.getElementById('fip-form')).direction") == "ltr"
    page.select_option("#form-lang", "ar")
    page.focus("#form-lang")
    page.keyboard.press("Tab")                      # to "show the form in this language"
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"\?lang=ar$"))
    form = "document.getElementById('fip-form')"
    assert page.evaluate(f"getComputedStyle({form}).direction") == "rtl"
    assert page.evaluate(f"{form}.lang") == "ar"
    assert page.locator("#unreviewed-translation").is_visible()
    assert "TEST ONLY" in page.inner_text("#item-c01 legend")
    # mirrored: the button "1" sits right of "7", the legend starts at the right edge
    box = page.evaluate("""Array.from(document.querySelectorAll('#item-c01 .box'))
                           .map(b => b.getBoundingClientRect().x)""")
    assert box == sorted(box, reverse=True) and box[0] > box[-1]
    legend = page.locator("#item-c01 legend").bounding_box()
    field = page.locator("#item-c01").bounding_box()
    assert field["x"] + field["width"] - (legend["x"] + legend["width"]) < legend["x"] - field["x"]
    shot(page, shots, "citizen_form_rtl")

    items = instrument().item_ids("citizen")
    page.focus("#form-lang")
    for _ in range(8):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.name") == items[0]:
            break
    assert page.evaluate("document.activeElement.name") == items[0]
    page.keyboard.press("ArrowLeft")                # right to left: the arrow towards 7 moves on
    page.keyboard.press("ArrowLeft")
    assert page.evaluate(f"document.querySelector('input[name={items[0]}]:checked').value") == "3"
    page.keyboard.press("Tab")
    values = [3, 6, 2, 5, 7, 1, 4, 4, 5, 6, 2]
    for v in values[1:]:
        page.keyboard.press(str(v))
    assert page.evaluate("document.activeElement.id") == "save"
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/forms/caseworker/$"))
    saved = Form.objects.filter(person=person, respondent="citizen").order_by("-pk").first()
    assert saved.language == "ar"
    assert saved.answers == dict(zip(items, values))
    assert problems == []
