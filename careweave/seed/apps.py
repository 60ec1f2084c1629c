from django.apps import AppConfig


class SeedConfig(AppConfig):
    name = "careweave.seed"
    label = "seed"
