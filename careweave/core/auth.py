"""The authentication backend: Django's, loading the staff profile with the user (every
request asks it whether a second factor is needed)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend


class StaffBackend(ModelBackend):
    def get_user(self, user_id: Any) -> Any:
        model = get_user_model()
        user = model._default_manager.select_related("staff_profile").filter(pk=user_id).first()
        if user is None or not self.user_can_authenticate(user):
            return None
        return user
