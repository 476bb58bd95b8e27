"""Money and scores as citizens read them, in their language."""

from decimal import Decimal
from fractions import Fraction

from django import template
from django.utils import formats

from participation.budgets import euros as _euros

register = template.Library()


@register.filter
def euros(amount):
    """A Decimal of euros: "€ 12.500" (it), "€ 12,500" (en); cents only when there are some."""
    return _euros(amount)


@register.filter
def euros_from_cents(amount):
    return _euros(amount, from_cents=True)


@register.filter
def score(value, places=1):
    """A Fraction or number shown with ``places`` decimals in the active language ("42,5" / "42.5")."""
    if isinstance(value, Fraction):
        value = Decimal(value.numerator) / Decimal(value.denominator)
    return formats.number_format(
        Decimal(value).quantize(Decimal(1).scaleb(-int(places))), decimal_pos=int(places), use_l10n=True
    )


@register.filter
def plain_number(value, places=1):
    """The same, with a dot and no grouping: for <meter value> and CSS."""
    if isinstance(value, Fraction):
        value = Decimal(value.numerator) / Decimal(value.denominator)
    return f"{Decimal(value):.{int(places)}f}"


@register.filter
def get_item(mapping, key):
    """``mapping[key]``, or None (a template cannot index a dict by a variable)."""
    return mapping.get(key) if mapping else None
