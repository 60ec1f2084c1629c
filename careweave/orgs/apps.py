from django.apps import AppConfig


class OrgsConfig(AppConfig):
    name = "careweave.orgs"
    label = "orgs"
    verbose_name = "Organisations"
