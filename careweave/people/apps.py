from django.apps import AppConfig


class PeopleConfig(AppConfig):
    name = "careweave.people"
    label = "people"

    def ready(self) -> None:
        from careweave.people import merging, panels

        panels.register()
        merging.register()
