from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "careweave.audit"
    label = "audit"

    def ready(self) -> None:
        # The inner layers (orgs) write the log through core.auditing, which cannot
        # import this app: give it our writer.
        from careweave.audit.services import audit_record
        from careweave.core import auditing

        auditing.install(audit_record)
