"""One tally across languages: participation data is keyed to the default-locale object."""

from wagtail.models import Locale


def canonical(instance):
    """The default-locale translation of a translatable object (page, option...), else itself."""
    default = Locale.get_default()
    if instance.locale_id == default.pk:
        return instance
    return instance.get_translation_or_none(default) or instance
