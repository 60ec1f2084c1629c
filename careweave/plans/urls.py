from django.urls import path

from careweave.plans import views

app_name = "plans"

P = "people/<uuid:person_id>/plans/"
ONE = P + "<uuid:plan_id>/"
CRISIS = "people/<uuid:person_id>/crisis-plan/"

urlpatterns = [
    path(P, views.plan_list, name="plan_list"),
    path(P + "new/", views.plan_create, name="plan_create"),
    path(ONE, views.plan_detail, name="plan_detail"),
    path(ONE + "edit/", views.plan_edit, name="plan_edit"),
    path(ONE + "close/", views.plan_close, name="plan_close"),
    path(ONE + "goals/new/", views.goal_add, name="goal_add"),
    path(ONE + "goals/<uuid:goal_id>/edit/", views.goal_edit, name="goal_edit"),
    path(ONE + "goals/<uuid:goal_id>/remove/", views.goal_remove, name="goal_remove"),
    path(ONE + "actions/new/", views.action_add, name="action_add"),
    path(ONE + "actions/<uuid:action_id>/edit/", views.action_edit, name="action_edit"),
    path(ONE + "actions/<uuid:action_id>/status/", views.action_status, name="action_status"),
    path(ONE + "actions/<uuid:action_id>/remove/", views.action_remove, name="action_remove"),
    path(ONE + "sections/new/", views.section_add, name="section_add"),
    path(ONE + "sections/<uuid:section_id>/edit/", views.section_edit, name="section_edit"),
    path(ONE + "sections/<uuid:section_id>/remove/", views.section_remove,
         name="section_remove"),
    path(ONE + "participants/new/", views.participant_add, name="participant_add"),
    path(ONE + "participants/<uuid:participant_id>/remove/", views.participant_remove,
         name="participant_remove"),
    path(ONE + "agree/", views.plan_agree, name="plan_agree"),
    path(ONE + "agree-actions/", views.actions_agree, name="actions_agree"),
    # A version's number, parsed by the view: a page that says "no such version" beats a
    # bare 404 for /versions/7/ on a plan with two.
    path(ONE + "versions/<slug:number>/", views.version_detail, name="version_detail"),
    path(ONE + "compare/", views.compare, name="compare"),
    path(ONE + "reviews/new/", views.review_add, name="review_add"),
    path(ONE + "print/", views.plan_print, name="plan_print"),
    path(ONE + "pdf/", views.plan_pdf, name="plan_pdf"),
    path(CRISIS, views.crisis_detail, name="crisis_detail"),
    path(CRISIS + "edit/", views.crisis_edit, name="crisis_edit"),
    path(CRISIS + "crisis/", views.crisis_record, name="crisis_record"),
]
