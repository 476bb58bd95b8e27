from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _


class User(AbstractUser):
    """One user model for editors, staff and citizens.

    Citizens sign up with django-allauth and never get admin permissions. Participation
    rows point at this model, so a later identity layer (SPID/CIE, a census check) can
    mark one verified person per account without changing them.
    """

    display_name = models.CharField(
        _("public name"),
        max_length=60,
        blank=True,
        help_text=_("Shown next to what you write on the site. Never your email address."),
    )

    notify_replies = models.BooleanField(
        _("email me when someone replies to my comments"),
        default=True,
    )

    class Meta(AbstractUser.Meta):
        verbose_name = _("user")
        verbose_name_plural = _("users")

    @property
    def public_name(self):
        """The name shown in public: the chosen display name, else a neutral one."""
        return self.display_name or self.get_full_name() or _("Citizen %(id)s") % {"id": self.pk}


def user_display(user):
    """How allauth names a user in messages: the public name, never the email-derived username."""
    return user.public_name


class DataExport(models.Model):
    """A citizen's "download my data" request (accounts/data_export.py): queued, prepared in the background
    into a ZIP in settings.PERSONAL_EXPORTS_ROOT (never public), served only to its owner until it expires."""

    QUEUED, RUNNING, DONE, FAILED = "queued", "running", "done", "failed"
    STATUSES = [
        (QUEUED, _("waiting")),
        (RUNNING, _("being prepared")),
        (DONE, _("ready")),
        (FAILED, _("failed")),
    ]

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="data_exports")
    token = models.CharField(max_length=64, unique=True)  # in the download link
    status = models.CharField(max_length=10, choices=STATUSES, default=QUEUED)
    language = models.CharField(max_length=10, blank=True)  # of the request: the email and the summary's
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    file_name = models.CharField(max_length=100, blank=True)  # in PERSONAL_EXPORTS_ROOT, once the file is whole

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("data download")
        verbose_name_plural = _("data downloads")

    def __str__(self):
        return f"#{self.pk} ({self.status})"


class ResidentVerification(models.Model):
    """That an account belongs to one real person: "one person, one vote" (accounts/residents.py).

    ``identity`` is a keyed hash (HMAC-SHA256) of the person's normalised codice fiscale, never the code itself;
    it is unique, so one person is verified on at most one account, whichever way they came (SPID, CIE, the
    census check or the city's desk). Deleting the account deletes this row, and the person can verify
    another one.
    """

    SPID, CIE, CENSUS, DESK = "spid", "cie", "census", "desk"
    METHODS = [
        (SPID, _("SPID")),
        (CIE, _("CIE (electronic identity card)")),
        (CENSUS, _("check against the register of residents")),
        (DESK, _("in person at a city desk")),
    ]

    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="resident_verification")
    identity = models.CharField(_("identity (keyed hash)"), max_length=64, unique=True)
    method = models.CharField(_("method"), max_length=10, choices=METHODS)
    verified_at = models.DateTimeField(_("verified at"))
    # Only for the desk: the staff member who saw the document (never the document itself).
    verified_by = models.ForeignKey(
        User,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("verified by"),
    )
    # What pages' rules need ("16 or over", "living in these postcodes"): unknown stays empty.
    birth_date = models.DateField(_("birth date"), null=True, blank=True)
    postcode = models.CharField(_("postcode"), max_length=5, blank=True)

    class Meta:
        verbose_name = _("resident verification")
        verbose_name_plural = _("resident verifications")

    def __str__(self):
        return f"{self.user_id} ({self.method})"


class CensusImport(models.Model):
    """One import of the city's register of residents (accounts/census.py). An import replaces the whole
    register, so the latest one is the register in force; earlier ones stay as a record of who imported what
    and when, with the counts (never a codice fiscale, nor a line of the file)."""

    started_at = models.DateTimeField(_("started at"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    imported_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("imported by")
    )
    source = models.CharField(_("source"), max_length=20)  # "admin" or "command"
    rows_read = models.PositiveIntegerField(_("rows read"), default=0)
    rows_stored = models.PositiveIntegerField(_("rows stored"), default=0)
    rows_refused = models.PositiveIntegerField(_("rows refused"), default=0)

    class Meta:
        ordering = ["-started_at", "-pk"]
        default_permissions = ()
        verbose_name = _("import of the register of residents")
        verbose_name_plural = _("imports of the register of residents")

    def __str__(self):
        return f"#{self.pk} ({self.rows_stored})"


class CensusResident(models.Model):
    """One person of the city's register of residents, as the census check needs them and no more: the keyed
    hash of their codice fiscale (accounts/residents.py ``identity_hash``; the code itself is never stored),
    their postcode (the citizen types it too, as a second factor) and birth year (with the code's day and
    month, the birth date that pages' age rules need)."""

    identity = models.CharField(_("identity (keyed hash)"), max_length=64, unique=True)
    postcode = models.CharField(_("postcode"), max_length=5)
    birth_year = models.PositiveSmallIntegerField(_("birth year"))
    batch = models.ForeignKey(CensusImport, on_delete=models.CASCADE, related_name="+", verbose_name=_("import"))

    class Meta:
        default_permissions = ()
        # The Registry role (accounts/migrations/0007_registry_role.py): import the register, verify at the desk.
        permissions = [("manage_residents", _("Can import the register of residents and verify people at a desk"))]
        verbose_name = _("resident")
        verbose_name_plural = _("register of residents")

    def __str__(self):
        return f"#{self.pk}"
