from django.urls import include, path

from careweave.web import views

app_name = "web"
urlpatterns = [
    path("", views.home, name="home"),
    path("login/", views.login_view, name="login"),
    path("logout/", views.logout_view, name="logout"),
    path("language/", views.set_language, name="set_language"),
    path("two-factor/", views.otp_verify, name="otp_verify"),
    path("two-factor/set-up/", views.otp_setup, name="otp_setup"),
    path("acting-as/", views.choose_membership, name="choose_membership"),
    path("caseload/", views.caseload, name="caseload"),
    path("people/new/", views.person_create, name="person_create"),
    path("people/<uuid:person_id>/", views.person_detail, name="person_detail"),
    path("people/<uuid:person_id>/edit/", views.person_edit, name="person_edit"),
    path("", include("careweave.web.urls_access")),
]
