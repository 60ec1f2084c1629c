from django.apps import AppConfig


class AccessConfig(AppConfig):
    name = "careweave.access"
    label = "access"

    def ready(self) -> None:
        from careweave.access import panels

        panels.register()
