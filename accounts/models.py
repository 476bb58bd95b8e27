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
