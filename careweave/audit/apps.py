from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "careweave.audit"
    label = "audit"
