from django.urls import path

from careweave.people import views

app_name = "people"
urlpatterns = [
    path("caseload/", views.caseload, name="caseload"),
    path("people/new/", views.person_create, name="person_create"),
    path("people/<uuid:person_id>/", views.person_detail, name="person_detail"),
    path("people/<uuid:person_id>/edit/", views.person_edit, name="person_edit"),
    path("people/<uuid:person_id>/network/add/", views.network_add, name="network_add"),
    path("people/<uuid:person_id>/timeline/", views.timeline, name="timeline"),
    path("people/duplicates/", views.duplicates, name="duplicates"),
    path("people/duplicates/<uuid:pair_id>/", views.duplicate_detail, name="duplicate_detail"),
    path("people/duplicates/<uuid:pair_id>/merge/", views.duplicate_merge,
         name="duplicate_merge"),
    path("people/duplicates/<uuid:pair_id>/dismiss/", views.duplicate_dismiss,
         name="duplicate_dismiss"),
    path("people/merges/<uuid:merge_id>/", views.merge_detail, name="merge_detail"),
    path("people/merges/<uuid:merge_id>/unmerge/", views.merge_undo, name="merge_undo"),
    path("people/<uuid:person_id>/country/", views.change_country, name="change_country"),
]
