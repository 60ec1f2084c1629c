from django.apps import AppConfig


class InsightsConfig(AppConfig):
    name = "careweave.insights"
    label = "insights"
    verbose_name = "Insights"
