from django.urls import path

from careweave.access import views

app_name = "access"
urlpatterns = [
    path("people/<uuid:person_id>/care-team/add/", views.care_team_add, name="care_team_add"),
    path("people/<uuid:person_id>/care-team/<uuid:member_id>/end/", views.care_team_end,
         name="care_team_end"),
    path("people/<uuid:person_id>/consents/add/", views.consent_add, name="consent_add"),
    path("people/<uuid:person_id>/consents/<uuid:consent_id>/withdraw/", views.consent_withdraw,
         name="consent_withdraw"),
    path("people/<uuid:person_id>/registration/transfer/", views.transfer_registration,
         name="transfer_registration"),
    path("break-glass/", views.break_glass, name="break_glass"),
    path("care-team-requests/", views.join_requests, name="join_requests"),
    path("care-team-requests/new/", views.join_request_new, name="join_request_new"),
    path("care-team-requests/<uuid:request_id>/", views.join_request_decide,
         name="join_request_decide"),
]
