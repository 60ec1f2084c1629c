from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "careweave.api"
    label = "api"
