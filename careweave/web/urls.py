"""The shell's own pages: signing in and out, two-factor authentication, choosing a
membership and the language. Every other page lives in its app's ``urls.py``."""

from django.urls import path

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
]
