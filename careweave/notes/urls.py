from django.urls import path

from careweave.notes import views

app_name = "notes"
P = "people/<uuid:person_id>/"
urlpatterns = [
    path(P + "warnings/", views.warnings, name="warnings"),
    path(P + "warnings/add/", views.warning_add, name="warning_add"),
    path(P + "warnings/<uuid:warning_id>/change/", views.warning_change, name="warning_change"),
    path(P + "warnings/<uuid:warning_id>/review/", views.warning_review, name="warning_review"),
    path(P + "warnings/<uuid:warning_id>/end/", views.warning_end, name="warning_end"),
    path(P + "notes/", views.notes, name="notes"),
    path(P + "notes/add/", views.note_add, name="note_add"),
    path(P + "notes/<uuid:note_id>/", views.note, name="note"),
    path(P + "notes/<uuid:note_id>/amend/", views.note_amend, name="note_amend"),
    path(P + "notes/<uuid:note_id>/attachments/add/", views.attachment_add,
         name="attachment_add"),
    path(P + "notes/<uuid:note_id>/attachments/<uuid:attachment_id>/", views.attachment,
         name="attachment"),
    path(P + "contacts/<uuid:member_id>/", views.contact_change, name="contact_change"),
    path("warnings/reviews-due/", views.reviews_due, name="reviews_due"),
    path("out-of-hours/", views.out_of_hours, name="out_of_hours"),
]
