"""Background work (django-tasks, run by ``careweave db_worker``): an e-mail to the named
recipient of a notification, saying only that something needs their review in Careweave
(no name, no answer: e-mail is not a safe place for them)."""

from __future__ import annotations

from django.conf import settings
from django.core.mail import send_mail
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django_tasks import task

from careweave.assessments.models import Notification


@task()
def email_notification(notification_id: str) -> bool:
    """Send the e-mail once; True if it was sent now."""
    note = (Notification.objects.select_related("recipient__user__staff_profile")
            .filter(pk=notification_id).first())
    if note is None or note.emailed_at is not None or note.recipient is None:
        return False
    user = note.recipient.user
    if not user.email or not note.recipient.is_active:
        return False
    profile = getattr(user, "staff_profile", None)
    language = getattr(profile, "preferred_language", "") or settings.LANGUAGE_CODE
    with translation.override(language):
        subject = _("Careweave: a risk answer needs your review")
        body = _("An answer in an assessment on Careweave needs a clinician's review. Sign in "
                 "to Careweave and open your notifications to see it.\n\nThis message "
                 "contains no personal details on purpose.")
    send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [user.email])
    updated = Notification.objects.filter(pk=note.pk, emailed_at__isnull=True).update(
        emailed_at=timezone.now())
    return bool(updated)
