"""What accounts itself holds about a person (the account, its email addresses and second factors), and the
user foreign keys of Wagtail and other installed apps that are staff records, not citizens' data."""

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
        )
    )
    for label, name in STAFF_RECORDS:
        not_personal(label, name, "the admin's record of staff work (pages, revisions, workflow, translations)")
