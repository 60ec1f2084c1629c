from django.apps import AppConfig


class MedicinesConfig(AppConfig):
    name = "careweave.medicines"
    label = "medicines"
    verbose_name = "Medicines"

    def ready(self) -> None:
        from careweave.medicines import panels

        panels.register()
