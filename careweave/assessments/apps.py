from django.apps import AppConfig


class AssessmentsConfig(AppConfig):
    name = "careweave.assessments"
    label = "assessments"
    verbose_name = "Assessments"

    def ready(self) -> None:
        from careweave.assessments import panels

        panels.register()
