from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "careweave.core"
    label = "core"
