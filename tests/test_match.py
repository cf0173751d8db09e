"""The matching engine on hand-written clauses (a small test checklist, not the national rules)."""

import datetime as dt

from toolkit.checklist import load_checklist
from toolkit.match import match_document

from conftest import AS_OF, HERE, doc_from_markdown


def judge(text, checklist, **kw):
    kw.setdefault("as_of", AS_OF)
    return match_document(doc_from_markdown(text), checklist, **kw)


def test_met_needs_every_element_and_quotes_each(mini):
    m = judge("# Policy\n\nPupils may be given an after-school detention.\n\n## Consent\n\n"
              "Parental consent is not needed for a detention.", mini)
    f = m.items["T-DET"]
    assert f.status == "met"
    assert [(e.text, e.element) for e in f.evidence] == [
        ("Pupils may be given an after-school detention.", "detention used"),
        ("Parental consent is not needed for a detention.", "consent not needed")]
    assert all(e.page == 1 for e in f.evidence)


def test_neighbouring_sentences_are_quoted_as_one_passage(mini):
    f = judge("# Policy\n\nPupils may be given an after-school detention. "
              "Parental consent is not needed for a detention.", mini).items["T-DET"]
    assert [(e.text, e.element) for e in f.evidence] == [
        ("Pupils may be given an after-school detention. Parental consent is not needed for a detention.",
         "detention used; consent not needed")]


def test_a_passage_bridges_one_sentence_between_two_quoted_ones(mini):
    f = judge("# Policy\n\nPupils may be given an after-school detention. It lasts up to an hour. "
              "Parental consent is not needed for a detention. The school day ends at 3.15pm. "
              "Staff record merits too.", mini).items["T-DET"]
    assert [e.text for e in f.evidence] == [
        "Pupils may be given an after-school detention. It lasts up to an hour. "
        "Parental consent is not needed for a detention."]


def test_a_lead_in_is_quoted_with_its_list(mini):
    f = judge("# Policy\n\nWe use these detentions:\n\n- 20 minutes at lunchtime\n- an hour after school\n\n"
              "Parental consent is not needed.", mini).items["T-DET"]
    assert f.evidence[0].text == "We use these detentions: 20 minutes at lunchtime; an hour after school"


def test_partial_names_what_was_not_found(mini):
    f = judge("# Policy\n\nLunchtime detention lasts 20 minutes.", mini).items["T-DET"]
    assert f.status == "partial"
    assert f.not_found == ["consent not needed"]


def test_if_used_item_is_na_when_the_policy_says_it_is_not_used(mini):
    f = judge("# Policy\n\nWe do not use detention at our school.", mini).items["T-DET"]
    assert f.status == "n/a"
    assert "not used" in f.explanation


def test_if_used_item_is_na_when_the_policy_is_silent(mini):
    assert judge("# Policy\n\nWe praise good choices.", mini).items["T-DET"].status == "n/a"


def test_missing_says_what_was_looked_for(mini):
    f = judge("# Policy\n\nWe praise good choices.", mini).items["T-FORCE"]
    assert f.status == "missing"
    assert f.evidence == []
    assert '"reasonable force"' in f.explanation


def test_negated_statement_is_evidence_when_the_rule_expects_it(mini):
    f = judge("# Force\n\nStaff may use reasonable force. Force is never used as a punishment.", mini).items["T-FORCE"]
    assert f.status == "met"


def test_item_not_applicable_to_school_type(mini):
    f = judge("# Force\n\nStaff may use reasonable force.", mini, school_type="independent").items["T-FORCE"]
    assert f.status == "n/a" and "independent" in f.explanation


def test_context_from_heading_or_lead_in(mini):
    near_miss = "# Trips\n\nThe phone numbers are handed in to the office."
    assert judge(near_miss, mini).items["T-PHONE"].status == "missing"
    in_section = "# Mobile phones\n\nPhones are handed in at registration."
    assert judge(in_section, mini).items["T-PHONE"].status == "met"
    lead_in = "# Devices\n\nMobile phone rules:\n\n- phones are handed in at the gate\n"
    assert judge(lead_in, mini).items["T-PHONE"].status == "met"


def test_caps_limit_met_to_partial(mini):
    text = "# Mobile phones\n\nPhones are handed in at registration. Pupils may use their phone at lunchtime."
    f = judge(text, mini).items["T-PHONE"]
    assert f.status == "partial"
    assert "limited by" in f.explanation


def test_red_flag_fires_on_practice_but_not_on_its_denial(mini):
    assert [f.id for f in judge("# Behaviour\n\nPupils may be sent home to calm down.", mini).red_flags] == ["T-RF"]
    assert judge("# Behaviour\n\nWe never send pupils home to calm down.", mini).red_flags == []
    assert judge("# Behaviour\n\nNo pupil will be sent home to cool off.", mini).red_flags == []


def test_outdated_marker_and_exclusion(mini):
    old = judge("# Exclusion\n\nA fixed-term exclusion may be given.", mini).outdated
    assert [f.id for f in old] == ["T-OUT"]
    assert old[0].evidence[0].text == "A fixed-term exclusion may be given."


def test_stale_review_date(mini):
    text = "# Policy\n\n| | |\n|---|---|\n| Date approved | 14 March 2023 |\n| Next review | March 2024 |\n"
    old = judge(text, mini, as_of=dt.date(2026, 11, 1)).outdated
    assert [f.id for f in old] == ["T-REVIEW"]
    assert "March 2024" in old[0].explanation
    fresh = "# Policy\n\nApproved: 1 September 2025. Next review: September 2027."
    assert judge(fresh, mini, as_of=dt.date(2026, 11, 1)).outdated == []


def test_matching_is_on_lemmas(mini):
    f = judge("# Policy\n\nDetentions are given; consent is not required.", mini).items["T-DET"]
    assert f.status == "met"


def test_unreadable_document_is_not_evaluated_never_missing(mini):
    doc = doc_from_markdown("# Scan\n\nx")
    doc.readable = False
    m = match_document(doc, mini, as_of=AS_OF)
    assert {f.status for f in m.items.values()} == {"not-evaluated"}


def test_a_negation_of_an_earlier_verb_does_not_negate_the_hit(mini):
    flagged = judge("# Behaviour\n\nA pupil who cannot settle may be sent home to calm down.", mini).red_flags
    assert [f.id for f in flagged] == ["T-RF"]
    assert judge("# Behaviour\n\nNo pupil will be sent home to calm down.", mini).red_flags == []


def test_school_type_and_phase_from_the_title_block():
    from toolkit.profile import infer_profile

    def profile(text):
        return infer_profile(doc_from_markdown(text))

    assert profile("# Policy\n\nAn independent co-educational day school for pupils aged 11 to 18.") == \
        ("independent", "secondary")
    # citing the Independent School Standards does not make an academy independent
    assert profile("# Policy\n\nAn all-through academy for pupils aged 4 to 18.\n\n"
                   "We follow the Education (Independent School Standards) Regulations 2014.") == ("academy", "all-through")
    assert profile("# Policy\n\nA maintained pupil referral unit.") == ("maintained", "ap")


def test_hedged_evidence_is_less_certain(mini):
    firm = judge("# Force\n\nStaff will use reasonable force only to keep people safe. Force is never a punishment.", mini)
    soft = judge("# Force\n\nStaff may use reasonable force where appropriate. Force can never be a punishment.", mini)
    assert firm.items["T-FORCE"].status == soft.items["T-FORCE"].status == "met"
    assert soft.items["T-FORCE"].confidence < firm.items["T-FORCE"].confidence
    assert "hedged" in soft.items["T-FORCE"].explanation


def test_a_regex_already_run_over_every_clause_still_reads_headings_for_context(tmp_path):
    # Regexes run lazily: T-SEARCH runs `search\w*` over the clauses first; T-CONSENT then needs
    # the same regex on a heading ("Searching pupils") as context for a clause without the word.
    overlay = tmp_path / "overlay.yaml"
    overlay.write_text(f"""
extends: {HERE / "checklists" / "mini"}
items:
  - id: T-SEARCH
    title: Searching named
    requirement: Searching is named.
    basis: advisory
    citation: test
    remedy: Name searching.
    elements:
      - name: searching named
        any: ['re:\\bsearch\\w*']
  - id: T-CONSENT
    title: Consent sought before a search
    requirement: Consent is sought first.
    basis: advisory
    citation: test
    remedy: Say consent is sought.
    elements:
      - name: consent under a searching heading
        any: [consent]
        context: ['re:\\bsearch\\w*']
""")
    m = judge("# Policy\n\n## Searching pupils\n\nWe always ask for consent first.\n\n"
              "## Visitors\n\nWe search bags at the gate.", load_checklist(overlay))
    assert m.items["T-SEARCH"].status == "met"
    assert m.items["T-CONSENT"].status == "met"
    assert m.items["T-CONSENT"].evidence[0].text == "We always ask for consent first."


def test_a_list_item_is_read_with_its_open_lead_in(mini):
    text = "# Policy\n\n## Staff\n\nStaff will never use these to punish a pupil:\n\n- reasonable force\n- a loud voice\n"
    f = judge(text, mini).items["T-FORCE"]
    assert f.status == "met"
    assert [e.text for e in f.evidence] == ["Staff will never use these to punish a pupil: reasonable force"]


def test_a_list_straight_under_a_heading_is_read_with_the_heading(mini):
    text = "# Policy\n\n## Force is never a punishment\n\n- Reasonable force or positive handling\n"
    assert judge(text, mini).items["T-FORCE"].status == "met"
    text = "# Policy\n\n## Physical contact\n\n- Reasonable force or positive handling\n"
    assert judge(text, mini).items["T-FORCE"].status == "partial"


def test_a_sentence_opening_they_is_read_with_the_one_before(mini):
    base = "# Policy\n\n## Staff\n\nOur staff would never punish a child by touching them. {} use reasonable force only to keep pupils safe.\n"
    assert judge(base.format("They"), mini).items["T-FORCE"].status == "met"
    # the sentence before does not lend itself to one that does not lean on it
    assert judge(base.format("Teachers"), mini).items["T-FORCE"].status == "partial"


def test_a_negative_lead_in_negates_its_list(mini):
    never = "# Policy\n\nPupils will never be:\n\n- sent home to calm down\n"
    may = "# Policy\n\nPupils who refuse to work may be:\n\n- sent home to calm down\n"
    assert [f.id for f in judge(never, mini).red_flags] == []
    assert [f.id for f in judge(may, mini).red_flags] == ["T-RF"]


def test_every_element_found_is_quoted_before_any_is_quoted_twice(national):
    text = "# Policy\n\n" + "".join(
        f"## Removal {n}\n\nA pupil removed from class goes to the Reflection Room.\n\n"
        f"### Length {n}\n\nRemoval lasts no longer than one lesson.\n\n" for n in range(3)) + (
        "## Staffing\n\nThe Reflection Room is supervised by a member of staff at all times.\n\n"
        "## Work\n\nIn the Reflection Room pupils complete the work set by their class teacher.\n\n"
        "## SEND\n\nBefore a removal, staff consider whether the pupil's SEND needs are met.\n")
    f = judge(text, national, school_type="maintained", phase="secondary").items["REM-01"]
    assert f.status == "met"
    quoted = {name for e in f.evidence for name in e.element.split("; ")}
    assert quoted == set(f.found) and len(f.found) == 5


def test_a_list_straight_under_a_heading_is_quoted_after_the_heading(mini):
    text = "# Policy\n\n## Detentions we use\n\n- 20 minutes at lunchtime\n- after-school detention of an hour\n"
    f = judge(text, mini).items["T-DET"]
    assert f.evidence[0].text == "Detentions we use: after-school detention of an hour"


def test_a_lead_in_ending_in_its_negation_negates_long_items(mini):
    never = "# Policy\n\nStaff will never:\n\n- let a pupil who is upset, or angry, be sent home to calm down for the day\n"
    yet = "# Policy\n\nStaff will never:\n\n- shout; but pupils may be sent home to calm down\n"
    assert [f.id for f in judge(never, mini).red_flags] == []
    assert [f.id for f in judge(yet, mini).red_flags] == ["T-RF"]


def test_an_answer_is_read_with_its_question(mini):
    faq = "# Policy\n\n## Questions\n\nIs it true staff would never punish a child physically? {}\n"
    answer = "Yes: positive handling is only used to keep children safe."
    assert judge(faq.format(answer), mini).items["T-FORCE"].status == "met"
    heading = "# Policy\n\n## Would staff never punish a child physically?\n\n{}\n"
    assert judge(heading.format(answer), mini).items["T-FORCE"].status == "met"
    assert judge("# Policy\n\n## Staff\n\n" + answer + "\n", mini).items["T-FORCE"].status == "partial"
