from django.urls import path

from careweave.audit import views

app_name = "audit"
urlpatterns = [
    path("people/<uuid:person_id>/access-log/", views.access_log, name="access_log"),
    path("break-glass/report/", views.break_glass_report, name="break_glass_report"),
    path("break-glass/<uuid:break_glass_id>/review/", views.break_glass_review,
         name="break_glass_review"),
    path("audit/", views.audit_log, name="audit_log"),
    path("audit/export.csv", views.audit_export, name="audit_export"),
]
