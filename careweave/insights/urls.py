from django.urls import path

from careweave.insights import views

app_name = "insights"
urlpatterns = [
    path("insights/", views.home, name="home"),
]
