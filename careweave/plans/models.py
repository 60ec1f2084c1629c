"""The co-produced plan: goals in the person's words, actions owned organisation by
organisation, agreement, versions, reviews with goal attainment, and the relapse-prevention
and crisis plan. Every row carries ``person_id``: everything is keyed by the person."""

from __future__ import annotations

import uuid

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from careweave.orgs.models import Membership, Organisation
from careweave.people.models import Person
from careweave.plans import states


class PlanType(models.TextChoices):
    SIP = "sip", _("Coordinated individual plan (SIP)")
    CARE_SUPPORT = "care_support", _("Care and support plan")
    MENTAL_HEALTH = "mental_health", _("Mental health care plan")


class PlanLanguage(models.TextChoices):
    EN = "en", _("English")
    SV = "sv", _("Swedish")


class Plan(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        AGREED = "agreed", _("Agreed")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="plans")
    plan_type = models.CharField(_("type of plan"), max_length=20, choices=PlanType.choices)
    language = models.CharField(_("language of the plan"), max_length=2,
                                choices=PlanLanguage.choices, default=PlanLanguage.EN)
    situation = models.TextField(_("my situation, in my words"), blank=True)
    what_matters = models.TextField(_("what matters to me"), blank=True)
    coordinating_organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="+",
        verbose_name=_("coordinating organisation"))
    coordinator = models.ForeignKey(
        Membership, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        verbose_name=_("named coordinator"))
    follow_up_date = models.DateField(_("next follow-up"), null=True, blank=True)
    contingency = models.TextField(_("if things do not go to plan"), blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    agreed_version = models.PositiveIntegerField(default=0)  # the last agreed version's number
    version = models.PositiveIntegerField(default=1)  # the ETag: bumped by every change
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_reason = models.CharField(max_length=500, blank=True)
    created_by = models.ForeignKey(Membership, null=True, on_delete=models.SET_NULL,
                                   related_name="+")
    idempotency_key = models.CharField(max_length=100, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["person", "plan_type"],
                                    condition=Q(closed_at__isnull=True),
                                    name="plan_one_open_per_type"),
            models.UniqueConstraint(fields=["person", "idempotency_key"],
                                    condition=~Q(idempotency_key=""), name="plan_idempotency"),
        ]
        indexes = [
            models.Index(fields=["person", "created_at", "id"], name="plan_person_idx"),
            # The caseload's "review overdue" flag: open plans of the people on a page.
            models.Index(fields=["person", "follow_up_date"], name="plan_follow_up_idx",
                         condition=Q(closed_at__isnull=True)),
        ]

    def __str__(self) -> str:
        return str(self.get_plan_type_display())

    @property
    def etag(self) -> str:
        return f'W/"{self.version}"'

    @property
    def is_open(self) -> bool:
        return self.closed_at is None


class Goal(models.Model):
    class Kind(models.TextChoices):
        OVERALL = "overall", _("Overall goal")
        SUB = "sub", _("Goal")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="goals")
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.SUB)
    position = models.PositiveIntegerField(default=0)
    own_words = models.TextField(_("the goal in the person's own words"))
    measurable = models.CharField(_("how we will know (measurable)"), max_length=500)
    target_date = models.DateField(_("target date"))
    # Goal attainment scaling: what each score means for this goal, written when it is set.
    level_m2 = models.CharField(_("−2: much less than expected"), max_length=300)
    level_m1 = models.CharField(_("−1: somewhat less than expected"), max_length=300)
    level_0 = models.CharField(_("0: the expected outcome"), max_length=300)
    level_p1 = models.CharField(_("+1: somewhat more than expected"), max_length=300)
    level_p2 = models.CharField(_("+2: much more than expected"), max_length=300)
    removed_at = models.DateTimeField(null=True, blank=True)
    idempotency_key = models.CharField(max_length=100, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["plan", "position", "created_at"], name="goal_plan_idx"),
                   models.Index(fields=["person"], name="goal_person_idx")]
        constraints = [
            models.UniqueConstraint(fields=["plan", "idempotency_key"],
                                    condition=~Q(idempotency_key=""), name="goal_idempotency"),
            models.UniqueConstraint(fields=["plan"], name="goal_one_overall",
                                    condition=Q(kind="overall", removed_at__isnull=True)),
        ]


class PlanAction(models.Model):
    """Who does what by when: owned by one organisation (optionally a named staff member)."""

    class Status(models.TextChoices):
        # The values are careweave.plans.states.Status (a test checks they agree).
        PLANNED = "planned", _("Planned")
        IN_PROGRESS = "in_progress", _("In progress")
        ON_HOLD = "on_hold", _("On hold")
        DONE = "done", _("Done")
        CANCELLED = "cancelled", _("Cancelled")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="actions")
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="+")
    # Goals are removed by marking them (removed_at); only deleting the person deletes rows.
    goal = models.ForeignKey(Goal, null=True, blank=True, on_delete=models.SET_NULL,
                             related_name="actions", verbose_name=_("towards the goal"))
    description = models.CharField(_("what will be done"), max_length=500)
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+",
                                     verbose_name=_("organisation responsible"))
    staff = models.ForeignKey(Membership, null=True, blank=True, on_delete=models.SET_NULL,
                              related_name="+", verbose_name=_("named staff member"))
    start_date = models.DateField(_("start date"), null=True, blank=True)
    due_date = models.DateField(_("due date"), null=True, blank=True)
    status = models.CharField(max_length=20, choices=Status.choices,
                              default=states.INITIAL.value)
    status_changed_at = models.DateTimeField(null=True, blank=True)
    status_note = models.CharField(max_length=500, blank=True)
    position = models.PositiveIntegerField(default=0)
    removed_at = models.DateTimeField(null=True, blank=True)
    idempotency_key = models.CharField(max_length=100, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [
            models.Index(fields=["plan", "position", "created_at"], name="action_plan_idx"),
            # An organisation's open actions across its people (the worklist builds on it).
            models.Index(fields=["organisation", "status", "due_date"], name="action_org_idx",
                         condition=Q(removed_at__isnull=True)),
            models.Index(fields=["person"], name="action_person_idx"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["plan", "idempotency_key"],
                                    condition=~Q(idempotency_key=""), name="action_idempotency"),
            models.CheckConstraint(condition=Q(start_date__isnull=True) | Q(due_date__isnull=True)
                                   | Q(due_date__gte=models.F("start_date")),
                                   name="action_due_after_start"),
        ]


class PlanSection(models.Model):
    """A heading and text in the plan; one marked sensitive (mental-health detail, say) is
    shown only to organisations the person's consent covers (careweave.plans.rules)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="sections")
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="+")
    heading = models.CharField(_("heading"), max_length=200)
    body = models.TextField(_("text"))
    sensitive = models.BooleanField(_("sensitive"), default=False)
    organisation = models.ForeignKey(Organisation, null=True, on_delete=models.PROTECT,
                                     related_name="+")  # who wrote it
    position = models.PositiveIntegerField(default=0)
    removed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["plan", "sensitive", "position"], name="section_plan_idx"),
                   models.Index(fields=["person"], name="section_person_idx")]


class Participant(models.Model):
    class Kind(models.TextChoices):
        PERSON = "person", _("The person")
        RELATIVE = "relative", _("Relative or friend")
        ADVOCATE = "advocate", _("Advocate")
        INTERPRETER = "interpreter", _("Interpreter")
        STAFF = "staff", _("Staff")
        OTHER = "other", _("Other")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="participants")
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(_("who"), max_length=20, choices=Kind.choices)
    name = models.CharField(_("name"), max_length=200)
    organisation = models.ForeignKey(Organisation, null=True, blank=True,
                                     on_delete=models.PROTECT, related_name="+",
                                     verbose_name=_("organisation"))
    role = models.CharField(_("role or relationship"), max_length=200, blank=True)
    removed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["plan", "created_at"], name="participant_plan_idx"),
                   models.Index(fields=["person"], name="participant_person_idx")]


class AgreementMethod(models.TextChoices):
    MEETING = "meeting", _("At a planning meeting")
    VERBAL = "verbal", _("Verbally")
    WRITTEN = "written", _("In writing (signed)")
    DIGITAL = "digital", _("Online, by the person")


class GivenBy(models.TextChoices):
    PERSON = "person", _("The person")
    REPRESENTATIVE = "representative", _("A representative")


class PlanVersion(models.Model):
    """An agreed version: the plan as the person agreed to it, frozen."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="versions")
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="+")
    number = models.PositiveIntegerField()
    revision = models.PositiveIntegerField()  # the plan's version (ETag) that was agreed
    snapshot = models.JSONField()
    given_by = models.CharField(max_length=20, choices=GivenBy.choices)
    representative_name = models.CharField(max_length=200, blank=True)
    method = models.CharField(max_length=20, choices=AgreementMethod.choices)
    agreed_on = models.DateField()
    note = models.CharField(max_length=1000, blank=True)
    recorded_by = models.ForeignKey(Membership, null=True, on_delete=models.SET_NULL,
                                    related_name="+")
    organisation_name = models.CharField(max_length=200, blank=True)  # who recorded it
    recorded_at = models.DateTimeField(auto_now_add=True)
    idempotency_key = models.CharField(max_length=100, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["plan", "number"], name="version_number_unique"),
            models.UniqueConstraint(fields=["plan", "idempotency_key"],
                                    condition=~Q(idempotency_key=""), name="version_idempotency"),
        ]
        indexes = [models.Index(fields=["person"], name="version_person_idx")]


class PlanPdf(models.Model):
    """An agreed version rendered as a PDF, once per variant (:func:`plans.exports.pdf_of`).

    ``key`` is a SHA-256 over everything the PDF depends on: the renderer (its version, the
    templates, the stylesheet and the translations), the version, the language, easy read
    or not, and the document exactly as this reader may see it (so a sensitive section is
    only in the PDFs of readers it is shown to). The bytes are personal data: they go with
    the version, the plan and the person, and never follow a merge (see ``merging``).
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    version = models.ForeignKey(PlanVersion, on_delete=models.CASCADE, related_name="pdfs")
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=64, unique=True)
    language = models.CharField(max_length=2, choices=PlanLanguage.choices)
    easy_read = models.BooleanField()
    content = models.BinaryField()
    size = models.PositiveIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["person"], name="plan_pdf_person_idx")]


class OrganisationAgreement(models.Model):
    """An organisation agrees to carry out its actions as they read (``digest``)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="agreements")
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="+")
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    agreed_by = models.ForeignKey(Membership, null=True, on_delete=models.SET_NULL,
                                  related_name="+")
    agreed_at = models.DateTimeField()
    digest = models.CharField(max_length=64)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["plan", "organisation", "digest"],
                                               name="org_agreement_unique")]
        indexes = [models.Index(fields=["person"], name="org_agreement_person_idx")]


class PlanChange(models.Model):
    """Who changed what in the plan, when and why: the comparison of two versions lists
    these beside the differences."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="changes")
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="+")
    revision = models.PositiveIntegerField()  # the plan's version after the change
    at = models.DateTimeField()
    kind = models.CharField(max_length=40)
    object_id = models.CharField(max_length=64, blank=True)
    fields = models.JSONField(default=list, blank=True)  # names only, never values
    sensitive = models.BooleanField(default=False)
    reason = models.CharField(max_length=500, blank=True)
    membership = models.ForeignKey(Membership, null=True, on_delete=models.SET_NULL,
                                   related_name="+")
    organisation = models.ForeignKey(Organisation, null=True, on_delete=models.PROTECT,
                                     related_name="+")
    staff_name = models.CharField(max_length=200, blank=True)
    organisation_name = models.CharField(max_length=200, blank=True)

    class Meta:
        indexes = [models.Index(fields=["plan", "revision"], name="change_plan_idx"),
                   models.Index(fields=["person"], name="change_person_idx")]


class Review(models.Model):
    """A follow-up: each goal rated by the professional and by the person."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="reviews")
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="+")
    held_on = models.DateField(_("date of the follow-up"))
    account = models.TextField(_("what happened since the last follow-up"), blank=True)
    next_follow_up = models.DateField(_("next follow-up"), null=True, blank=True)
    recorded_by = models.ForeignKey(Membership, null=True, on_delete=models.SET_NULL,
                                    related_name="+")
    organisation = models.ForeignKey(Organisation, null=True, on_delete=models.PROTECT,
                                     related_name="+")
    idempotency_key = models.CharField(max_length=100, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["plan", "held_on", "id"], name="review_plan_idx"),
                   models.Index(fields=["person"], name="review_person_idx")]
        constraints = [models.UniqueConstraint(fields=["plan", "idempotency_key"],
                                               condition=~Q(idempotency_key=""),
                                               name="review_idempotency")]


class GoalRating(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    review = models.ForeignKey(Review, on_delete=models.CASCADE, related_name="ratings")
    goal = models.ForeignKey(Goal, on_delete=models.CASCADE, related_name="ratings")
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="+")
    professional_score = models.SmallIntegerField()
    person_score = models.SmallIntegerField(null=True, blank=True)
    comment = models.CharField(max_length=500, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["review", "goal"], name="rating_one_per_goal"),
            models.CheckConstraint(condition=Q(professional_score__gte=-2)
                                   & Q(professional_score__lte=2), name="rating_professional_gas"),
            models.CheckConstraint(condition=Q(person_score__isnull=True)
                                   | (Q(person_score__gte=-2) & Q(person_score__lte=2)),
                                   name="rating_person_gas"),
        ]
        indexes = [models.Index(fields=["goal", "review"], name="rating_goal_idx"),
                   models.Index(fields=["person"], name="rating_person_idx")]


class CrisisPlan(models.Model):
    """The relapse-prevention and crisis plan: one per person, in their words."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    person = models.OneToOneField(Person, on_delete=models.CASCADE, related_name="crisis_plan")
    plan = models.ForeignKey(Plan, null=True, blank=True, on_delete=models.SET_NULL,
                             related_name="+")
    early_warning_signs = models.TextField(_("early warning signs, in my words"))
    triggers = models.TextField(_("what can set things off"), blank=True)
    what_helps = models.TextField(_("what helps me"), blank=True)
    others_do = models.TextField(_("what I want others to do"), blank=True)
    others_avoid = models.TextField(_("what I do not want others to do"), blank=True)
    medication_notes = models.TextField(_("medication"), blank=True)
    advance_statements = models.TextField(_("advance statements and preferences"), blank=True)
    version = models.PositiveIntegerField(default=1)
    crisis_since = models.DateTimeField(null=True, blank=True)
    crisis_note = models.CharField(max_length=500, blank=True)
    crisis_source = models.CharField(max_length=20, blank=True)  # "staff" or "alert"
    crisis_recorded_by = models.ForeignKey(Membership, null=True, blank=True,
                                           on_delete=models.SET_NULL, related_name="+")
    updated_by = models.ForeignKey(Membership, null=True, on_delete=models.SET_NULL,
                                   related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        indexes = [models.Index(fields=["person"], name="crisis_active_idx",
                                condition=Q(crisis_since__isnull=False))]

    @property
    def etag(self) -> str:
        return f'W/"{self.version}"'


class CrisisContact(models.Model):
    """Who to contact in a crisis, in order."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    crisis_plan = models.ForeignKey(CrisisPlan, on_delete=models.CASCADE, related_name="contacts")
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="+")
    position = models.PositiveSmallIntegerField()
    name = models.CharField(_("name"), max_length=200)
    relationship = models.CharField(_("who they are"), max_length=200, blank=True)
    phone = models.CharField(_("phone"), max_length=40)
    notes = models.CharField(_("when to call"), max_length=300, blank=True)

    class Meta:
        ordering = ["position"]
        constraints = [models.UniqueConstraint(fields=["crisis_plan", "position"],
                                               name="crisis_contact_order")]
        indexes = [models.Index(fields=["person"], name="crisis_contact_person_idx")]
