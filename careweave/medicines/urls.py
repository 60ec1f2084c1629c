from django.urls import path

from careweave.medicines import views

app_name = "medicines"
P = "people/<uuid:person_id>/medicines/"
urlpatterns = [
    path(P, views.medicines, name="medicines"),
    path(P + "add/", views.medicine_add, name="medicine_add"),
    path(P + "reconcile/", views.reconcile, name="reconcile"),
    path(P + "print/", views.print_list, name="print"),
    path(P + "<uuid:medicine_id>/", views.medicine, name="medicine"),
    path(P + "<uuid:medicine_id>/change/", views.medicine_change, name="medicine_change"),
    path(P + "<uuid:medicine_id>/stop/", views.medicine_stop, name="medicine_stop"),
]
