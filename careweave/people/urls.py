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
    path("people/<uuid:person_id>/country/", views.change_country, name="change_country"),
]
