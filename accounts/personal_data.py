"""What accounts itself holds about a person (the account, its email addresses and second factors, the copies
of their data they asked for), and the user foreign keys of Wagtail and other installed apps that are staff
records, not citizens' data."""

from django.utils.translation import gettext_lazy as _

from .registry import Holding, not_personal, register


def account_export(user):
    from allauth.account.models import EmailAddress

    yield {
        "username": user.username,
        "public_name": user.display_name,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "email": user.email,
        "joined": user.date_joined.isoformat() if user.date_joined else None,
        "last_login": user.last_login.isoformat() if user.last_login else None,
        "email_me_replies": user.notify_replies,
        "email_addresses": [
            {"email": address.email, "verified": address.verified, "primary": address.primary}
            for address in EmailAddress.objects.filter(user=user).order_by("pk")
        ],
        "two_factor_methods": list(user.authenticator_set.values_list("type", flat=True)),
    }


def data_export_export(user):
    for export in user.data_exports.order_by("created_at", "pk"):
        yield {"requested": export.created_at.isoformat(), "status": export.status}


def data_export_anonymise(user):
    """The citizen's prepared files go with the account (the rows go by cascade; the files would stay)."""
    from .data_export import delete_files

    exports = user.data_exports.all()
    delete_files(exports)
    exports.delete()


# Wagtail's editing history, workflow and admin state, and translators' work: what staff do in the admin.
STAFF_RECORDS = (
    ("wagtailcore.Page", "owner"),
    ("wagtailcore.Page", "locked_by"),
    ("wagtailcore.Revision", "user"),
    ("wagtailcore.PageLogEntry", "user"),
    ("wagtailcore.ModelLogEntry", "user"),
    ("wagtailcore.WorkflowState", "requested_by"),
    ("wagtailcore.TaskState", "finished_by"),
    ("wagtailcore.Comment", "user"),
    ("wagtailcore.Comment", "resolved_by"),
    ("wagtailcore.CommentReply", "user"),
    ("wagtailcore.PageSubscription", "user"),
    ("wagtailcore.UploadedFile", "uploaded_by_user"),
    ("wagtailcore.APIToken", "user"),
    ("wagtaildocs.Document", "uploaded_by_user"),
    ("wagtailadmin.EditingSession", "user"),
    ("wagtailadmin.FormState", "user"),
    ("wagtailusers.UserProfile", "user"),
    ("wagtail_localize.StringTranslation", "last_translated_by"),
    ("wagtail_localize.SegmentOverride", "last_translated_by"),
)


def verification_export(user):
    from .residents import verification_of

    verification = verification_of(user)
    if verification is not None:
        yield {
            "method": verification.get_method_display(),
            "verified": verification.verified_at.isoformat(),
            "by_city_staff": verification.verified_by_id is not None,
            "birth_date": verification.birth_date.isoformat() if verification.birth_date else None,
            "postcode": verification.postcode,
            "identity_keyed_hash": verification.identity,
        }


def identity_logins_export(user):
    """Which digital identity logs into the account, and since when: the gateway's subject identifier is
    an opaque number, and nothing else of the person is kept with it (accounts/identity_providers.py)."""
    for account in user.socialaccount_set.order_by("date_joined", "pk"):
        yield {
            "provider": account.provider.upper(),
            "connected": account.date_joined.isoformat(),
            "last_login": account.last_login.isoformat() if account.last_login else None,
        }


def register_all():
    register(
        Holding(
            "account",
            _("Your account"),
            (("account.EmailAddress", "user"), ("mfa.Authenticator", "user")),
            _(
                "Your email address, the public name you chose, when you joined and last logged in, and, for "
                "staff, the second factor of your login."
            ),
            export=account_export,
            order=0,
            when_deleted=_(
                "Your email addresses, public name, password and second factors are deleted: you can no longer log in."
            ),
        )
    )
    register(
        Holding(
            "data_exports",
            _("Copies of your data"),
            (("accounts.DataExport", "user"),),
            _(
                "When you ask for a copy of your data: when you asked, and the file prepared for you, which only "
                "you can download and which is deleted after 7 days."
            ),
            export=data_export_export,
            anonymise=data_export_anonymise,
            order=1000,
            when_deleted=_("The copies of your data prepared for you are deleted."),
        )
    )
    register(
        Holding(
            "verification",
            _("Verification as a resident"),
            (("accounts.ResidentVerification", "user"),),
            _(
                "If you verified your account as a resident (with SPID, CIE, the register of residents or at a city "
                "desk): how and when, your birth date and postcode when the method gave them, and a keyed hash of "
                "your codice fiscale, which stands for you without being it: the codice fiscale itself is never "
                "stored. It is kept while you have the account, so that one person has one vote."
            ),
            export=verification_export,
            order=5,
            when_deleted=_("Your verification is deleted: you can verify another account."),
        )
    )
    register(
        Holding(
            "identity_logins",
            _("SPID and CIE logins"),
            (("socialaccount.SocialAccount", "user"),),
            _(
                "If you log in with SPID or CIE: which one, when you first used it and when you last did, and the "
                "identifier the login service gives us for you, so that your next login reaches the same account. "
                "Your codice fiscale, names and birth date are read at each login to verify you and are not kept "
                "with it."
            ),
            export=identity_logins_export,
            order=6,
            when_deleted=_("The link between your account and your SPID or CIE is deleted."),
        )
    )
    not_personal(
        "accounts.ResidentVerification",
        "verified_by",
        "the staff member who verified a person at a city desk: a record of staff work",
    )
    not_personal(
        "accounts.CensusImport",
        "imported_by",
        "the staff member who imported the register of residents: a record of staff work",
    )
    for label, name in STAFF_RECORDS:
        not_personal(label, name, "the admin's record of staff work (pages, revisions, workflow, translations)")
