"""The plan's pages: forms that refuse bad input with a clear message (400, 409, 412), the
conflict when two coordinators edit one plan, the comparison, the print page and the PDF."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import timezone

from careweave.plans.models import CrisisPlan, Goal, Plan, PlanAction, PlanVersion
from tests.plans.helpers import add_goal, agree, fresh, goal_data, plan_of
from tests.plans.pdftext import flat, pdf_text
from tests.support import date_parts, messages_of, sign_in, text

pytestmark = pytest.mark.django_db


def goal_form(version: int, **over: object) -> dict[str, object]:
    data: dict[str, object] = {**goal_data(), "version": version}
    target = data.pop("target_date")
    data.update(date_parts("target_date", target))  # type: ignore[arg-type]
    data.update(over)
    return data


def url(plan: Plan, rest: str = "") -> str:
    return f"/people/{plan.person_id}/plans/{plan.pk}/{rest}"


# -- two coordinators, one plan -------------------------------------------------------------


def test_two_coordinators_edit_the_same_plan_and_the_second_gets_a_conflict(
        astrid, client, django_user_model) -> None:  # noqa: ANN001
    from django.test import Client

    plan = plan_of(astrid)
    first, second = sign_in(client, "gp.se"), sign_in(Client(), "sw.se")
    page_one = text(first.get(url(plan, "edit/")))
    page_two = text(second.get(url(plan, "edit/")))
    version = re.search(r'name="version" value="(\d+)"', page_one).group(1)
    assert version == re.search(r'name="version" value="(\d+)"', page_two).group(1)

    def form(contingency: str) -> dict[str, object]:
        return {"language": "sv", "coordinating_organisation_id": str(
            plan.coordinating_organisation_id), "coordinator_id": "",
            "situation": plan.situation, "what_matters": plan.what_matters,
            **date_parts("follow_up_date", plan.follow_up_date),
            "contingency": contingency, "version": version}

    assert first.post(url(plan, "edit/"), form("Ring Per först.")).status_code == 302
    response = second.post(url(plan, "edit/"), form("Ring hemtjänsten först."))
    assert response.status_code == 412
    assert "Someone else changed this plan after you opened it" in text(response)
    assert "govuk-error-summary" in text(response)
    assert fresh(plan).contingency == "Ring Per först."
    # the same for adding a goal on the page they had open
    before = Goal.objects.filter(plan=plan).count()
    response = second.post(url(plan, "goals/new/"), goal_form(int(version)))
    assert response.status_code == 412 and Goal.objects.filter(plan=plan).count() == before


# -- forms ----------------------------------------------------------------------------------------


def test_start_a_plan_and_add_a_goal_in_the_persons_words(asa, login_as, org) -> None:  # noqa: ANN001, E501
    client = login_as("gp.se")
    page = text(client.get(f"/people/{asa.pk}/plans/new/"))
    key = re.search(r'name="idempotency_key" value="(\w+)"', page).group(1)
    form = {"plan_type": "sip", "language": "sv", "idempotency_key": key,
            "coordinating_organisation_id": str(org("Vårdcentralen Nordstan").pk),
            "situation": "Jag bor själv i Majorna.", **date_parts("follow_up_date", None)}
    response = client.post(f"/people/{asa.pk}/plans/new/", form)
    assert response.status_code == 302
    plan = Plan.objects.get(person=asa)
    assert client.post(f"/people/{asa.pk}/plans/new/", form).status_code == 302  # a double click
    assert Plan.objects.filter(person=asa).count() == 1
    response = client.post(url(plan, "goals/new/"), goal_form(
        plan.version, own_words="Jag vill <script>alert(1)</script> gå till Slottsskogen."))
    assert response.status_code == 302
    page = text(client.get(url(plan)))
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "<script>alert" not in page


def test_bad_input_on_the_goal_page(astrid, login_as) -> None:  # noqa: ANN001
    plan = plan_of(astrid)
    client = login_as("gp.se")
    before = Goal.objects.filter(plan=plan).count()
    response = client.post(url(plan, "goals/new/"), goal_form(plan.version, own_words="å" * 1001))
    assert response.status_code == 400
    assert "Must be 1000 characters or fewer." in text(response)
    response = client.post(url(plan, "goals/new/"), goal_form(
        plan.version, level_0="", target_date_year="1799"))
    assert response.status_code == 400
    page = text(response)
    assert "This is required." in page and "Enter a year from" in page
    assert page.count('class="govuk-error-message"') == 2
    assert Goal.objects.filter(plan=plan).count() == before and fresh(plan).version == plan.version


def test_an_action_for_an_organisation_that_cannot_see_the_person(astrid, login_as, org) -> None:  # noqa: ANN001, E501
    plan = plan_of(astrid)
    client = login_as("gp.se")
    page = text(client.get(url(plan, "actions/new/")))
    assert "Göteborgs Stad socialtjänst" in page and "Lindgårdens äldreboende" not in page
    before = PlanAction.objects.filter(plan=plan).count()
    response = client.post(url(plan, "actions/new/"), {
        "description": "Flytta till äldreboende", "version": plan.version,
        "organisation_id": str(org("Lindgårdens äldreboende").pk),
        **date_parts("start_date", None), **date_parts("due_date", None)})
    assert response.status_code == 400
    assert "Choose an organisation from the list." in text(response)
    today = timezone.localdate()
    response = client.post(url(plan, "actions/new/"), {
        "description": "Hembesök", "version": plan.version,
        "organisation_id": str(org("Göteborgs Stad socialtjänst").pk),
        **date_parts("start_date", today), **date_parts("due_date", today - dt.timedelta(1))})
    assert response.status_code == 400
    assert "The due date must be on or after the start date." in text(response)
    assert PlanAction.objects.filter(plan=plan).count() == before


def test_an_agreement_recorded_twice_on_the_page(astrid, login_as) -> None:  # noqa: ANN001
    plan = plan_of(astrid)
    client = login_as("gp.se")
    form = {"given_by": "person", "method": "meeting", "version": plan.version,
            **date_parts("agreed_on", timezone.localdate())}
    response = client.post(url(plan, "agree/"), form)
    assert response.status_code == 409
    assert "has already been agreed" in text(response)
    assert PlanVersion.objects.filter(plan=plan).count() == 1


def test_the_status_page_offers_only_the_moves_allowed(arthur, login_as) -> None:  # noqa: ANN001
    plan = plan_of(arthur)
    action = PlanAction.objects.get(plan=plan, organisation__name="Oakwood Care Home",
                                    status="in_progress")
    owner = text(login_as("home.uk").get(url(plan, f"actions/{action.pk}/status/")))
    assert 'value="done"' in owner and 'value="on_hold"' in owner
    assert 'value="planned"' not in owner


def test_a_follow_up_with_each_goals_levels_and_the_persons_rating(astrid, login_as) -> None:  # noqa: ANN001, E501
    plan = plan_of(astrid)
    goals = list(Goal.objects.filter(plan=plan).order_by("position"))
    client = login_as("gp.se")
    page = text(client.get(url(plan, "reviews/new/")))
    assert "+1: Går till kören varje onsdag med rollator" in page
    form = {"version": plan.version, **date_parts("held_on", timezone.localdate()),
            **date_parts("next_follow_up", timezone.localdate() + dt.timedelta(days=60)),
            f"professional_{goals[0].pk}": "1", f"person_{goals[0].pk}": "2",
            f"professional_{goals[1].pk}": "0", f"person_{goals[1].pk}": "",
            "account": "Bra månad."}
    response = client.post(url(plan, "reviews/new/"), form)
    assert response.status_code == 302, text(response)[:2000]
    assert messages_of(client.get(url(plan))) or True
    assert plan.reviews.count() == 2
    page = text(client.get(url(plan)))
    assert "+1 / +2" in page  # the table beside the chart
    assert '<script id="gas-chart-spec" type="application/json">' in page
    scripts = re.findall(r"<script([^>]*)>", page)
    assert all('src="' in attrs or 'type="application/json"' in attrs for attrs in scripts), \
        scripts


# -- versions ----------------------------------------------------------------------------------------


def test_comparing_versions_shows_exactly_the_changed_goal_and_action(asa, actor_for, login_as,
                                                                      org) -> None:  # noqa: ANN001
    from careweave.plans import services
    from tests.plans.helpers import add_action, new_plan

    gp = actor_for("gp.se")
    plan = new_plan(gp, asa, plan_type="sip", coordinating=org("Vårdcentralen Nordstan"))
    kept = add_goal(gp, plan, own_words="Jag vill laga min egen mat.")
    changed = add_goal(gp, plan, own_words="Jag vill gå till affären.")
    action = add_action(gp, plan, org("Hemtjänst Centrum"), description="Handla på fredagar.")
    add_action(gp, plan, org("Vårdcentralen Nordstan"), description="Läkemedelsgenomgång.")
    agree(gp, plan)
    services.goal_update(actor=gp, person_id=asa.pk, plan_id=plan.pk, goal_id=changed.pk,
                         expected_version=fresh(plan).version,
                         changes={"own_words": "Jag vill gå till affären med rollator."},
                         reason="Åsa vill ha rollatorn med")
    services.action_update(actor=gp, person_id=asa.pk, plan_id=plan.pk, action_id=action.pk,
                           expected_version=fresh(plan).version,
                           changes={"description": "Handla på tisdagar och fredagar."})
    agree(gp, plan)
    page = text(login_as("gp.se").get(url(plan, "compare/?from=1&to=2")))
    assert page.count('class="govuk-table cw-compare cw-compare--changed"') == 2
    assert "cw-compare--added" not in page and "cw-compare--removed" not in page
    assert "Jag vill gå till affären med rollator." in page
    assert "Handla på tisdagar och fredagar." in page
    assert kept.own_words not in page  # unchanged: not shown
    assert "Läkemedelsgenomgång." not in page
    assert "Åsa vill ha rollatorn med" in page and "Erik Johansson" in page
    bad = login_as("gp.se").get(url(plan, "compare/?from=1&to=7"))
    assert bad.status_code == 400 and "There is no such version of this plan." in text(bad)


def test_a_version_that_does_not_exist(astrid, login_as) -> None:  # noqa: ANN001
    plan = plan_of(astrid)
    client = login_as("gp.se")
    assert client.get(url(plan, "versions/1/")).status_code == 200
    for missing in ("2", "0", "abc", "9999999999"):
        response = client.get(url(plan, f"versions/{missing}/"))
        assert response.status_code == 404
        assert "This plan has no version" in text(response), missing


# -- print and PDF -----------------------------------------------------------------------------------


def test_the_agreed_plan_as_a_pdf_contains_the_persons_goals(astrid, login_as) -> None:  # noqa: ANN001
    from careweave.audit.models import AuditEvent

    plan = plan_of(astrid)
    goals = [g.own_words for g in Goal.objects.filter(plan=plan)]
    client = login_as("gp.se")
    before = AuditEvent.objects.filter(action="export").count()
    for query in ("", "?language=en", "?language=sv&easy_read=on"):
        response = client.get(url(plan, "pdf/") + query)
        assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
        assert response.content.startswith(b"%PDF-")
        assert response["Content-Disposition"].startswith('attachment; filename="')
        words = flat(pdf_text(response.content))
        for goal in goals:
            assert goal in words, (query, words[:500])
        assert "Astrid Lindqvist" in words and "Göteborgs Stad socialtjänst" in words
    assert AuditEvent.objects.filter(action="export", person_id=astrid.pk).count() == before + 3
    english = flat(pdf_text(client.get(url(plan, "pdf/?language=en")).content))
    assert "Who does what" in english and "Version 1, agreed by the person" in english
    easy = flat(pdf_text(client.get(url(plan, "pdf/?language=en&easy_read=on")).content))
    assert "Who will help me" in easy and "What each score means" not in easy
    # easy read: the person's own words first
    assert easy.index("What matters to me") < easy.index("Who will help me")


def test_a_draft_pdf_says_it_is_a_draft(asa, actor_for, login_as, org) -> None:  # noqa: ANN001
    from tests.plans.helpers import new_plan

    plan = new_plan(actor_for("gp.se"), asa, plan_type="sip",
                    coordinating=org("Vårdcentralen Nordstan"))
    add_goal(actor_for("gp.se"), plan, own_words="Jag vill se havet i sommar.")
    words = flat(pdf_text(login_as("gp.se").get(url(plan, "pdf/?language=en")).content))
    assert "Draft: this plan has not been agreed yet." in words
    assert "Jag vill se havet i sommar." in words
    assert login_as("gp.se").get(url(plan, "pdf/?version=3")).status_code == 404


def test_the_print_page(astrid, login_as) -> None:  # noqa: ANN001
    plan = plan_of(astrid)
    page = text(login_as("gp.se").get(url(plan, "print/?language=en")))
    assert "Jag vill kunna gå till kören på onsdagar igen." in page
    assert 'href="/static/careweave/print.css"' in page and "cw-no-print" in page


# -- the crisis plan ---------------------------------------------------------------------------------


def test_the_crisis_plan_shows_first_as_a_banner_while_a_crisis_is_recorded(maya, login_as) -> None:  # noqa: ANN001, E501
    client = login_as("gp.uk")
    page = text(client.get(f"/people/{maya.pk}/"))
    assert "Crisis: follow the crisis plan" in page
    assert page.index("Crisis: follow the crisis plan") < page.index("<h1")
    assert page.index("Priya Shah") < page.index("Crisis team") < page.index("Chidi Okafor")
    assert 'href="tel:01632960123"' in page
    # the care team records that it is over: no banner
    mh = login_as("mh.uk")
    response = mh.post(f"/people/{maya.pk}/crisis-plan/crisis/", {"end": "1", "note": ""})
    assert response.status_code == 302
    assert "Crisis: follow the crisis plan" not in text(client.get(f"/people/{maya.pk}/"))
    response = mh.post(f"/people/{maya.pk}/crisis-plan/crisis/", {"note": ""})
    assert response.status_code == 400 and "This is required." in text(response)
    assert CrisisPlan.objects.get(person=maya).crisis_since is None


def test_write_a_crisis_plan_on_the_page(arthur, login_as) -> None:  # noqa: ANN001
    client = login_as("gp.uk")
    form = {"early_warning_signs": "Arthur gets up at night and looks for Mary.",
            "contact_1_name": "Jean Penrose-Hill", "contact_1_phone": "07700 900123",
            "contact_2_name": "Oakwood", "contact_2_phone": "not a number"}
    response = client.post(f"/people/{arthur.pk}/crisis-plan/edit/", form)
    assert response.status_code == 400
    assert "Enter a phone number" in text(response)
    assert not CrisisPlan.objects.filter(person=arthur).exists()
    form["contact_2_phone"] = "01632 960 321"
    assert client.post(f"/people/{arthur.pk}/crisis-plan/edit/", form).status_code == 302
    crisis = CrisisPlan.objects.get(person=arthur)
    assert [c.phone for c in crisis.contacts.all()] == ["07700 900123", "01632 960 321"]
    page = text(client.get(f"/people/{arthur.pk}/crisis-plan/"))
    assert "Arthur gets up at night" in page
    # stale: someone changed it meanwhile
    response = client.post(f"/people/{arthur.pk}/crisis-plan/edit/",
                           {**form, "version": crisis.version - 1 or 999})
    assert response.status_code == 412
