from django.apps import AppConfig


class PlansConfig(AppConfig):
    name = "careweave.plans"
    label = "plans"

    def ready(self) -> None:
        from careweave.plans import panels

        panels.register()
