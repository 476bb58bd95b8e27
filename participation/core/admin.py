"""Admin pieces every kind of citizens' contribution (comments, ideas...) shares."""

from django.utils import translation
from wagtail.models import Page
from wagtail.permission_policies import ModelPermissionPolicy

from .models import TranslationGroup


class CitizensContentPolicy(ModelPermissionPolicy):
    """What citizens wrote stays for the audit trail: staff change (hide, restore, answer) it, never add
    or delete it."""

    def user_has_permission(self, user, action):
        if action in ("add", "delete"):
            return False
        return super().user_has_permission(user, action)

    def user_has_permission_for_instance(self, user, action, instance):
        return self.user_has_permission(user, action)


def group_titles(related_name):
    """[(translation key, page title)] of the groups holding any ``related_name`` rows ("comments",
    "ideas"), by the title of their version in the admin's language, in title order (one query; for
    comments, one more for ideas' threads)."""
    titles = {}
    holding = TranslationGroup.objects.filter(**{f"{related_name}__isnull": False}).values("pk")
    for key, code, title in Page.objects.filter(translation_key__in=holding).values_list(
        "translation_key", "locale__language_code", "title"
    ):
        if key not in titles or code == translation.get_language():
            titles[key] = title
    if related_name == "comments":  # ideas' own threads are keyed to the idea: its title
        from participation.models import Idea

        titles.update(Idea.objects.filter(key__in=holding).values_list("key", "title"))
    return sorted(((str(key), title) for key, title in titles.items()), key=lambda choice: choice[1])
