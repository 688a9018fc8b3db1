"""The manager's page: the library's status note of the own municipality, a protected
caseload overview, no person-level data; other roles are refused."""

from __future__ import annotations

import re

import pandas as pd
from django.test import Client
from django.urls import reverse

from fip.data import load_dataset, write_dataset
from fip.report.status_note import status_note
from fip.service.models import Person

MANAGER = "manager-kommune_03"


def login(service, username=MANAGER) -> Client:
    c = Client()
    c.force_login(service.user(username))
    return c


def test_manager_sees_the_librarys_note_and_no_person_data(service, cohort, tmp_path):
    c = login(service)
    page = c.get(reverse("manager"))
    assert page.status_code == 200
    html = page.content.decode()
    quarter = re.search(r'<option value="(\d{4}Q\d)" selected>', html).group(1)
    note = c.get(reverse("manager_note") + f"?quarter={quarter}")
    assert note.status_code == 200 and "default-src 'none'" in note["Content-Security-Policy"]
    expected = status_note(load_dataset(write_dataset(cohort[0], tmp_path / "files")), "kommune_03", quarter)
    assert note.content.decode() == expected.html
    ids = set(Person.objects.values_list("person_id", flat=True))
    for text in (html, note.content.decode()):
        assert not any(pid in text for pid in ids)
    assert "Data sidst opdateret" in html


def test_caseload_figures_rest_on_five_or_more_citizens(service):
    from fip.data import pair_forms
    from fip.service.data import service_dataset

    mine = Person.objects.filter(municipality__code="kommune_03", caseworker__isnull=False)
    m = pair_forms(service_dataset(Person.objects.all())).measurements
    m = m[m["person_id"].isin(set(mine.values_list("person_id", flat=True)))]
    per_quarter = m.groupby(m["measured_on"].dt.to_period("Q").astype(str))["person_id"].nunique()
    quarter = per_quarter.idxmax()             # the busiest quarter: its totals are large
    html = login(service).get(reverse("manager") + f"?quarter={quarter}").content.decode()
    body = html.split('id="caseload"')[1].split("</table>")[0].split("<tbody>")[1]
    cells = [re.findall(r"<td>(.*?)</td>", row) for row in re.findall(r"<tr>(.*?)</tr>", body)]
    table = pd.DataFrame([[c[0], *(float("nan") if v == "–" else int(v) for v in c[1:])] for c in cells])
    total = table.iloc[-1]
    assert total.iloc[0] == "Alle"
    assert (total.iloc[1], total.iloc[2]) == (mine.count(), per_quarter.max())
    for _, row in table.iterrows():
        for value in (row.iloc[1], row.iloc[2]):
            assert pd.isna(value) or value == 0 or value >= 5
        if not pd.isna(row.iloc[1]) and not pd.isna(row.iloc[2]):
            assert row.iloc[1] - row.iloc[2] == 0 or row.iloc[1] - row.iloc[2] >= 5
    assert table.iloc[:-1, 1].isna().any()     # this cohort has caseworkers with 1-4 citizens: hidden


def test_other_roles_and_unknown_quarters_are_refused(service):
    for username in ("caseworker-kommune_03", "analyst-kommune_03", "researcher"):
        c = login(service, username)
        assert c.get(reverse("manager")).status_code == 403
        assert c.get(reverse("manager_note") + "?quarter=2018Q1").status_code == 403
    assert login(service).get(reverse("manager_note") + "?quarter=1999Q1").status_code == 404
    assert login(service).get(reverse("manager") + "?quarter=<script>").status_code == 404
