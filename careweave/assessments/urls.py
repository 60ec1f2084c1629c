from django.urls import path

from careweave.assessments import views

app_name = "assessments"
P = "people/<uuid:person_id>/assessments/"
urlpatterns = [
    path(P, views.assessments, name="assessments"),
    path(P + "new/", views.start, name="start"),
    path(P + "send/", views.send_link, name="send_link"),
    path(P + "links/<uuid:link_id>/revoke/", views.revoke_link, name="revoke_link"),
    path(P + "trend/<slug:code>/", views.trend, name="trend"),
    path(P + "<uuid:assessment_id>/", views.assessment, name="assessment"),
    path(P + "<uuid:assessment_id>/page/<int:number>/", views.page, name="page"),
    path(P + "<uuid:assessment_id>/check/", views.check, name="check"),
    path(P + "<uuid:assessment_id>/discard/", views.discard, name="discard"),
    path(P + "<uuid:assessment_id>/correct/", views.correct, name="correct"),
    path("people/<uuid:person_id>/safety-flags/<uuid:flag_id>/review/", views.flag_review,
         name="flag_review"),
    path("assessments/follow-up/", views.team, name="team"),
    path("assessments/notifications/", views.notifications, name="notifications"),
    path("complete/<str:token>/", views.complete, name="complete"),
]
