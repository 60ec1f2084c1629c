from django.apps import AppConfig


class NotesConfig(AppConfig):
    name = "careweave.notes"
    label = "notes"
    verbose_name = "Warnings, case notes and contacts"

    def ready(self) -> None:
        from careweave.notes import panels

        panels.register()
