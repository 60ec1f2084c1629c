from django.apps import AppConfig


class PeopleConfig(AppConfig):
    name = "careweave.people"
    label = "people"
