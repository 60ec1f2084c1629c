"""Care team, consent, social network, break-glass, access log and audit pages.

Included by ``careweave.web.urls`` inside the ``web`` namespace.
"""

from django.urls import path

from careweave.web import views_access as views

urlpatterns = [
    path("people/<uuid:person_id>/care-team/add/", views.care_team_add, name="care_team_add"),
    path("people/<uuid:person_id>/care-team/<uuid:member_id>/end/", views.care_team_end,
         name="care_team_end"),
    path("people/<uuid:person_id>/consents/add/", views.consent_add, name="consent_add"),
    path("people/<uuid:person_id>/consents/<uuid:consent_id>/withdraw/", views.consent_withdraw,
         name="consent_withdraw"),
    path("people/<uuid:person_id>/network/add/", views.network_add, name="network_add"),
    path("people/<uuid:person_id>/access-log/", views.access_log, name="access_log"),
    path("break-glass/", views.break_glass, name="break_glass"),
    path("break-glass/report/", views.break_glass_report, name="break_glass_report"),
    path("break-glass/<uuid:break_glass_id>/review/", views.break_glass_review,
         name="break_glass_review"),
    path("audit/", views.audit_log, name="audit_log"),
    path("audit/export.csv", views.audit_export, name="audit_export"),
]
