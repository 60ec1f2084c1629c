from django.apps import AppConfig


class DemoConfig(AppConfig):
    name = "careweave.demo"
    label = "demo"
