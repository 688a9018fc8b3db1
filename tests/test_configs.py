"""Study facts and user-facing text as data: configs/controls.yaml, configs/study.yaml,
configs/messages/*.yaml (issue 12, item 4).

The expected values below are literal copies of the Python dicts the code held before these
facts moved into configs (``CONTROL_CODING`` of fip/controls.py, ``STUDY_FACTORS`` and
``_TABLES`` of fip/factors/study.py, ``_FACTOR_FAMILY`` of fip/report/sections.py,
``LOADING_THRESHOLD``, ``_TEXT`` of fip/report/status_note.py, ``TEXT`` of fip/star.py,
``GOALS`` of fip/report/goals.py, the label dicts of ``plot_item_means`` and
``plot_progression``): an independent reference, not a re-reading of the same files.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
import yaml

from fip._resources import config_path
from fip.controls import CONTROL_CODING, load_control_coding
from fip.errors import ConfigError
from fip.messages import default_search_path, languages, messages, section
from fip.study_config import study_facts

OLD_CONTROL_CODING = {
    "gender": {"column": "gender", "indicator": {"female": "female"}, "known": ["female", "male"]},
    "origin": {
        "column": "origin",
        "groups": {
            "syria": ["syria", "syrien", "syrian arab republic", "den syriske arabiske republik"],
            "eritrea": ["eritrea"],
        },
        "reference": "syria",
        "other": "other",
        "indicators": ["eritrea", "other"],
    },
    "age": {"column": "birth_year", "young_below": 30, "old_above": 40},
    "education": {"column": "education", "reference": "primary", "levels": ["beyond_primary", "none", "unknown"]},
    "work_experience": {"column": "work_experience", "reference": "yes", "levels": ["no", "unknown"]},
    "months_in_denmark": {"column": "arrival_date"},
}

#: The old Python text tables, per language and catalogue section.
OLD_TEXT = {'da': {'status_note': {'title': 'Status for {m}, {q}',
                        'intro': 'Notatet viser, hvordan borgerne i {m} er vurderet med FIP-skemaet i {q}, ved '
                                 'siden af alle kommuner. Skalaen går fra {lo} til {hi}, og {hi} er bedst. Antal '
                                 'er antal personer bag hvert tal. Tal, der bygger på færre end {k} personer, '
                                 'vises ikke.',
                        'levels': 'Niveau i kvartalet',
                        'progression': 'Udvikling fra 1. til 2. måling',
                        'trend': 'Udvikling over kvartaler',
                        'star': 'Gennemsnitlig FIP-stjerne',
                        'levels_about': 'Gennemsnit pr. spørgsmål og indeks for personer målt i {q}. Er en person '
                                        'målt flere gange i kvartalet, tæller den seneste måling.',
                        'progression_about': 'Personer, hvis 2. måling fandt sted i {q}: gennemsnitlig ændring '
                                             'fra 1. til 2. måling. Et positivt tal betyder en bedre vurdering '
                                             'ved 2. måling.',
                        'trend_about': 'Gennemsnit af de samlede indeks for {m} pr. kvartal (seneste måling pr. '
                                       'person).',
                        'trend_figure': 'Kvartaler med færre end {k} personer er udeladt (hul i kurven).',
                        'star_about': 'Gennemsnitlige svar ved 1. og 2. måling for de {n} personer i {m}, hvis 2. '
                                      'måling fandt sted i {q}.',
                        'star_none': 'Stjernen vises ikke: færre end {k} personer i {m} fik 2. måling i {q}.',
                        'suppressed': 'færre end {k}',
                        'suppressed_others': 'skjult: færre end {k} i de øvrige kommuner',
                        'goals': 'Programmets mål',
                        'goal': 'Mål',
                        'share': 'andel',
                        'mun_share': '{m}: andel',
                        'all_share': 'Alle kommuner: andel',
                        'goals_trend': 'Programmets mål for {m} pr. kvartal',
                        'goals_about': 'Andel jobparate: sagsbehandlerens visitation ved den seneste måling i {q} '
                                       '(personer med kendt visitation). Beskæftigelse og uddannelse: personer '
                                       'målt senest i {q} med registerdata for alle tre måneder i kvartalet; '
                                       'mindst én måned med beskæftigelse, ordinær beskæftigelse eller '
                                       'uddannelse. Programmets registermål (selvforsørgelse i mindst 5 af 13 '
                                       'uger) kræver ugedata og vises derfor ikke; andele her er tilnærmelser.',
                        'what': 'Spørgsmål/indeks',
                        'kind': 'Type',
                        'by': 'Vurderet af',
                        'item': 'spørgsmål',
                        'index': 'indeks',
                        'mun_mean': '{m}: gennemsnit',
                        'mun_n': '{m}: antal',
                        'all_mean': 'Alle kommuner: gennemsnit',
                        'all_n': 'Alle kommuner: antal',
                        'mun_change': '{m}: ændring',
                        'all_change': 'Alle kommuner: ændring',
                        'quarter': 'Kvartal',
                        'decimal': ',',
                        'mean': 'gennemsnit',
                        'n': 'antal',
                        'overall': 'samlet',
                        'privacy': 'Notatet indeholder kun gennemsnit og antal, ingen oplysninger om '
                                   'enkeltpersoner. {s} tal er skjult, fordi de bygger på færre end {k} personer. '
                                   'Et tal for alle kommuner skjules også, når det sammen med kommunens eget tal '
                                   'ville vise et tal for færre end {k} personer i de øvrige kommuner.'},
        'star': {'star': 'FIP-stjerne',
                 'round': '{r}. måling',
                 'person': 'Person',
                 'card': 'FIP – dit overblik',
                 'measured': 'Målinger',
                 'chance': 'Chance for job',
                 'band_low': 'lav',
                 'band_middle': 'middel',
                 'band_high': 'høj',
                 'sentence': 'Omkring {k} ud af {d} personer med svar som dine havde et job inden for 6 måneder.',
                 'range': 'Usikkerhed: mellem {lo} og {hi} ud af {d}.',
                 'up': 'Trækker mest op',
                 'down': 'Trækker mest ned',
                 'caveat': 'Tallet er et statistisk skøn ud fra tidligere borgere med lignende svar, køn, alder, '
                           'oprindelse, skolegang og erhvervserfaring. Det er ikke en afgørelse og siger ikke, '
                           'hvad der sker for netop dig. De 6 måneder regnes fra opfølgningsmålingen (2. måling).',
                 'model_intake': 'beregnet ud fra 1. måling',
                 'model_progression': 'beregnet ud fra 1. og 2. måling',
                 'scale': 'Skala {lo}-{hi}, {hi} er bedst.',
                 'no_score': 'Ingen jobchance beregnet.'},
        'goals': {'job_ready': 'Andel jobparate (visitation)',
                  'employed': 'Andel med beskæftigelse i kvartalet',
                  'ordinary_employed': 'Andel med ordinær beskæftigelse i kvartalet',
                  'in_education': 'Andel i uddannelse i kvartalet'},
        'figures': {'gender': {'female': 'Kvinder', 'male': 'Mænd', 'all': 'Alle'},
                    'round': 'runde',
                    'mean_axis': 'Gennemsnit',
                    'change_axis': 'Ændring, runde 1 til 2 (95 % CI)'}},
 'en': {'status_note': {'title': 'Status for {m}, {q}',
                        'intro': 'This note shows how citizens in {m} were assessed with the FIP form in {q}, '
                                 'beside all municipalities. The scale runs from {lo} to {hi}; {hi} is best. n is '
                                 'the number of persons behind each figure. Figures based on fewer than {k} '
                                 'persons are not shown.',
                        'levels': 'Levels in the quarter',
                        'progression': 'Change from 1st to 2nd measurement',
                        'trend': 'Trend over quarters',
                        'star': 'Average FIP star',
                        'levels_about': 'Mean per item and index for persons measured in {q}. A person measured '
                                        'more than once in the quarter counts with the latest measurement.',
                        'progression_about': 'Persons whose 2nd measurement took place in {q}: mean change from '
                                             'the 1st to the 2nd measurement. A positive number means a better '
                                             'assessment at the 2nd.',
                        'trend_about': 'Mean of the overall indices for {m} per quarter (latest measurement per '
                                       'person).',
                        'trend_figure': 'Quarters with fewer than {k} persons are left out (a gap in the line).',
                        'star_about': 'Mean answers at the 1st and 2nd measurement of the {n} persons in {m} '
                                      'measured the 2nd time in {q}.',
                        'star_none': 'No star: fewer than {k} persons in {m} had their 2nd measurement in {q}.',
                        'suppressed': 'fewer than {k}',
                        'suppressed_others': 'hidden: fewer than {k} in the other municipalities',
                        'goals': 'Programme goals',
                        'goal': 'Goal',
                        'share': 'share',
                        'mun_share': '{m}: share',
                        'all_share': 'All municipalities: share',
                        'goals_trend': 'Programme goals of {m} per quarter',
                        'goals_about': "Share job-ready: the caseworker's visitation category at the latest "
                                       'measurement in {q} (persons with a known category). Employment and '
                                       'education: persons measured by the end of {q} with register data for all '
                                       'three months of the quarter; at least one month with employment, ordinary '
                                       "employment or education. The programme's register goal (self-supporting "
                                       'in at least 5 of 13 weeks) needs weekly data and is not shown; the shares '
                                       'here approximate it.',
                        'what': 'Item/index',
                        'kind': 'Type',
                        'by': 'Rated by',
                        'item': 'item',
                        'index': 'index',
                        'mun_mean': '{m}: mean',
                        'mun_n': '{m}: n',
                        'all_mean': 'All municipalities: mean',
                        'all_n': 'All municipalities: n',
                        'mun_change': '{m}: change',
                        'all_change': 'All municipalities: change',
                        'quarter': 'Quarter',
                        'decimal': '.',
                        'mean': 'mean',
                        'n': 'n',
                        'overall': 'overall',
                        'privacy': 'The note holds only means and counts, no data on individual persons. {s} '
                                   'figures are hidden because they rest on fewer than {k} persons. A figure for '
                                   "all municipalities is also hidden when, together with the municipality's own "
                                   'figure, it would reveal a figure for fewer than {k} persons in the other '
                                   'municipalities.'},
        'star': {'star': 'FIP star',
                 'round': 'round {r}',
                 'person': 'Person',
                 'card': 'FIP – your overview',
                 'measured': 'Measurements',
                 'chance': 'Chance of a job',
                 'band_low': 'low',
                 'band_middle': 'middle',
                 'band_high': 'high',
                 'sentence': 'About {k} in {d} people with answers like these had a job within 6 months.',
                 'range': 'Range: {lo} to {hi} in {d}.',
                 'up': 'Raises the chance most',
                 'down': 'Lowers the chance most',
                 'caveat': 'The number is a statistical estimate from earlier citizens with similar answers, '
                           'gender, age, origin, schooling and work experience. It is not a decision and does not '
                           'say what will happen to you. The 6 months count from the follow-up measurement (round '
                           '2).',
                 'model_intake': 'from round 1',
                 'model_progression': 'from rounds 1 and 2',
                 'scale': 'Scale {lo}-{hi}, {hi} is best.',
                 'no_score': 'No job chance computed.'},
        'goals': {'job_ready': 'Share job-ready (visitation)',
                  'employed': 'Share with employment in the quarter',
                  'ordinary_employed': 'Share with ordinary employment in the quarter',
                  'in_education': 'Share in education in the quarter'},
        'figures': {'gender': {'female': 'Women', 'male': 'Men', 'all': 'All'},
                    'round': 'round',
                    'mean_axis': 'Mean',
                    'change_axis': 'Change, round 1 to 2 (95 % CI)'}}}


# --------------------------------------------------------------------------- values equal the old code
def test_control_coding_equals_the_old_dict_key_order_included():
    # model files carry the coding as JSON: the same keys in the same order
    assert CONTROL_CODING == OLD_CONTROL_CODING
    assert json.dumps(CONTROL_CODING) == json.dumps(OLD_CONTROL_CODING)


def test_control_coding_is_a_fresh_copy_each_call():
    a = load_control_coding()
    a["age"]["young_below"] = 99
    assert load_control_coding()["age"]["young_below"] == 30


def test_study_facts_equal_the_old_constants():
    from fip.factors.study import STUDY_FACTORS
    from fip.report.figures import LOADING_THRESHOLD
    from fip.simulate.answers import PUBLISHED_TABLES

    facts = study_facts()
    assert STUDY_FACTORS == {"citizen": 3, "caseworker": 4, "both": 6}
    assert dict(facts.published_tables) == PUBLISHED_TABLES == {"citizen": "4.7", "caseworker": "4.8"}
    assert LOADING_THRESHOLD == 0.3
    assert dict(facts.index_families) == {"citizen": "citizen_factors", "caseworker": "caseworker_factors",
                                          "both": "combined_factors"}
    assert dict(facts.published_groups) == {"female": "women", "male": "men"}
    assert dict(facts.education_groups) == {"any": ("primary", "beyond_primary"), "none": ("none",),
                                            "unknown": ("unknown",)}


def test_describe_reads_the_schema_codes():
    import fip.describe as d

    assert d._KNOWN_VISITATION == ("job_ready", "activity_ready")
    assert d._CATEGORIES == (("residence_refugee", "residence_family_reunified", "residence_unknown"),
                             ("education_any", "education_none", "education_unknown"),
                             ("origin_syria", "origin_eritrea"),
                             ("visitation_job_ready", "visitation_activity_ready"))


#: Status-note texts added or changed since the tables moved into the catalogues (issue 17:
#: a heading of its own for the introduction, a share hidden for its split, the trend beside
#: all municipalities).
NOTE_TEXT_SINCE = {
    "da": {"intro_title": "Om notatet", "suppressed_split": "skjult: færre end {k} med eller uden",
           "suppressed_split_others": "skjult: færre end {k} med eller uden i de øvrige kommuner",
           "all_municipalities": "alle kommuner",
           "trend_about": "Gennemsnit af de samlede indeks for {m} pr. kvartal (seneste måling pr. person), "
                          "ved siden af alle kommuner (lysere linje).",
           "star_about": "Gennemsnitlige svar ved 1. og 2. måling for de {n} personer i {m}, hvis 2. måling fandt "
                         "sted i {q}. Spørgsmål, der hviler på færre end {k} personer, eller hvis personer afviger "
                         "fra niveautabellens med færre end {k}, er udeladt."},
    "en": {"intro_title": "About this note", "suppressed_split": "hidden: fewer than {k} with or without",
           "suppressed_split_others": "hidden: fewer than {k} with or without in the other municipalities",
           "all_municipalities": "all municipalities",
           "trend_about": "Mean of the overall indices for {m} per quarter (latest measurement per person), "
                          "beside all municipalities (lighter line).",
           "star_about": "Mean answers at the 1st and 2nd measurement of the {n} persons in {m} measured the 2nd "
                         "time in {q}. Items resting on fewer than {k} persons, or whose persons differ from the "
                         "levels table's by fewer than {k}, are left out."},
}


@pytest.mark.parametrize("lang", ["da", "en"])
def test_catalogues_equal_the_old_text_tables(lang):
    from fip.report.goals import GOALS
    from fip.star import TEXT

    old = {**OLD_TEXT[lang], "status_note": {**OLD_TEXT[lang]["status_note"], **NOTE_TEXT_SINCE[lang]}}
    for name in ("status_note", "star", "goals"):
        assert dict(section(lang, name)) == old[name], name
    assert dict(TEXT[lang]) == old["star"]
    assert {g: GOALS[g][lang] for g in GOALS} == old["goals"]
    assert list(GOALS) == list(old["goals"])
    assert dict(section(lang, "figures.gender")) == old["figures"]["gender"]
    for key in ("round", "mean_axis", "change_axis"):
        assert messages(lang)[f"figures.{key}"] == old["figures"][key]


def test_shipped_catalogues_have_the_same_keys_and_placeholders():
    da, en = messages("da"), messages("en")
    assert list(da) == list(en)
    field = re.compile(r"{(\w*)}")
    for key in en:
        assert sorted(field.findall(da[key])) == sorted(field.findall(en[key])), key


# --------------------------------------------------------------------------- a new language is a new file
def test_a_new_catalogue_is_picked_up_from_the_search_path(tmp_path):
    en = yaml.safe_load(config_path("messages/en.yaml").read_text(encoding="utf-8"))

    def mark(node):
        return {k: mark(v) for k, v in node.items()} if isinstance(node, dict) else "XX " + node

    (tmp_path / "xx.yaml").write_text(yaml.safe_dump(mark(en), allow_unicode=True), encoding="utf-8")
    path = (tmp_path, *default_search_path())
    assert languages(path) == ("da", "en", "xx")
    assert languages() == ("da", "en")  # the shipped search path is untouched
    xx = messages("xx", path)
    assert set(xx) == set(messages("en"))
    assert all(v == "XX " + messages("en")[k] for k, v in xx.items())
    assert section("xx", "star", path)["round"] == "XX round {r}"


def test_an_unknown_language_is_a_value_error():
    with pytest.raises(ValueError, match="lang must be one of \\['da', 'en'\\]"):
        messages("fr")


def _catalogue_dir(tmp_path: Path, edit) -> tuple[Path]:
    for f in default_search_path()[0].glob("*.yaml"):
        shutil.copy(f, tmp_path / f.name)
    da = yaml.safe_load((tmp_path / "da.yaml").read_text(encoding="utf-8"))
    edit(da)
    (tmp_path / "da.yaml").write_text(yaml.safe_dump(da, allow_unicode=True), encoding="utf-8")
    return (tmp_path,)


@pytest.mark.parametrize(("edit", "message"), [
    (lambda d: d["star"].pop("caveat"), r"^da\.yaml: star\.caveat: missing"),
    (lambda d: d["goals"].update(extra="x"), r"^da\.yaml: goals\.extra: unknown key"),
    (lambda d: d["star"].update(round=3), r"^da\.yaml: star\.round: expected text"),
    (lambda d: d.update(figures={}), r"^da\.yaml: figures: expected a non-empty mapping"),
])
def test_malformed_catalogues_name_file_and_key(tmp_path, edit, message):
    path = _catalogue_dir(tmp_path, edit)
    with pytest.raises(ConfigError, match=message) as info:
        messages("en", path)
    assert "\n" not in str(info.value)


# --------------------------------------------------------------------------- malformed configs
def _write(tmp_path: Path, name: str, edit) -> Path:
    raw = yaml.safe_load(config_path(name).read_text(encoding="utf-8"))
    edit(raw)
    p = tmp_path / name
    p.write_text(yaml.safe_dump(raw, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return p


@pytest.mark.parametrize(("edit", "message"), [
    (lambda r: r["controls"].pop("age"), r"controls\.age: missing"),
    (lambda r: r["controls"]["education"].update(reference="gymnasium"), r"controls\.education\.reference: expected a code"),
    (lambda r: r["controls"]["work_experience"].update(reference=True), r"controls\.work_experience\.reference:"),
    (lambda r: r["controls"]["gender"].update(indicator={"female": "kvinde"}), r"controls\.gender\.indicator:"),
    (lambda r: r["controls"]["origin"].update(reference="iraq"), r"controls\.origin\.reference:"),
    (lambda r: r["controls"]["origin"]["groups"].update(syria=["Syrien"]), r"controls\.origin\.groups\.syria: .*lower-case"),
    (lambda r: r["controls"]["origin"].update(indicators=["syria"]), r"controls\.origin\.indicators:"),
    (lambda r: r["controls"]["age"].update(young_below="30"), r"controls\.age\.young_below: expected a whole number"),
    (lambda r: r["controls"]["age"].update(young_below=50), r"controls\.age: young_below \(50\)"),
    (lambda r: r["controls"].update(quarter={"column": "q"}), r"controls\.quarter: unknown section"),
    (lambda r: r["controls"]["months_in_denmark"].pop("column"), r"controls\.months_in_denmark\.column:"),
])
def test_malformed_controls_name_file_and_key(tmp_path, edit, message):
    p = _write(tmp_path, "controls.yaml", edit)
    with pytest.raises(ConfigError, match=r"^controls\.yaml: " + message) as info:
        load_control_coding(p)
    assert "\n" not in str(info.value)


@pytest.mark.parametrize(("edit", "message"), [
    (lambda r: r["factor_analysis"]["factors"].pop("both"), r"factor_analysis\.factors\.both: missing"),
    (lambda r: r["factor_analysis"]["factors"].update(citizen=0), r"factor_analysis\.factors\.citizen: expected a positive"),
    (lambda r: r["factor_analysis"]["published_tables"].update(citizen=4.7), r"factor_analysis\.published_tables\.citizen:"),
    (lambda r: r["factor_analysis"]["published_tables"].update(all="4.9"), r"factor_analysis\.published_tables\.all: unknown key"),
    (lambda r: r["factor_analysis"].update(loading_threshold=3), r"factor_analysis\.loading_threshold: expected a number"),
    (lambda r: r["factor_analysis"]["index_families"].update(both=None), r"factor_analysis\.index_families\.both:"),
    (lambda r: r["sample"].update(published_groups={"male": "men", "female": "women"}), r"sample\.published_groups:"),
    (lambda r: r["sample"]["education_groups"].update(any=["primary", "phd"]), r"sample\.education_groups\.any:"),
    (lambda r: r.pop("sample"), r"sample: expected a non-empty mapping"),
])
def test_malformed_study_facts_name_file_and_key(tmp_path, edit, message):
    p = _write(tmp_path, "study.yaml", edit)
    with pytest.raises(ConfigError, match=r"^study\.yaml: " + message) as info:
        study_facts(p)
    assert "\n" not in str(info.value)


@pytest.mark.parametrize("loader", [load_control_coding, study_facts, lambda p: messages("en", [p.parent])])
def test_unreadable_or_invalid_yaml_names_the_file(tmp_path, loader):
    p = tmp_path / "en.yaml"
    p.write_text("a: [1, 2\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"en\.yaml: not valid YAML"):
        loader(p)


@pytest.mark.parametrize("table", ["table_4_5", "table_4_6", "table_4_12", "table_4_13"])
def test_published_fit_statistics_agree_with_each_other_except_recorded_misprints(table):
    """adj R2 = 1 - (1 - R2)(N - 1)/DF (areg's definition) for every printed column, to the
    rounding of three decimals; the one column where it fails (Table 4.12, ordinary
    employment without controls) is recorded as a misprint whose likely value satisfies it."""
    fit = yaml.safe_load(config_path("fip_published.yaml").read_text(encoding="utf-8"))[
        "regressions"][table]["fit_statistics"]
    by = {k: {c["column"]: c for c in fit[k]["by_column"]} for k in ("N", "R2", "Adjusted-R2", "DF")}
    misprints = []
    for column, r2 in by["R2"].items():
        n, df, adj = by["N"][column]["value"], by["DF"][column]["value"], by["Adjusted-R2"][column]["value"]
        implied = 1 - (1 - r2["value"]) * (n - 1) / df
        if r2.get("misprint"):
            misprints.append(column)
            assert abs(implied - adj) > 0.01
            assert abs(1 - (1 - r2["likely"]) * (n - 1) / df - adj) < 0.0015
        else:
            assert abs(implied - adj) < 0.0015, (table, column)
    assert misprints == ([5] if table == "table_4_12" else [])
