"""Parts of a page that are the same for every visitor, rendered once and kept in the cache until what they
show changes, so that a logged-in citizen's render (which the anonymous page cache cannot serve) pays only
for what is theirs.

    {% load shared_fragments %}
    {% shared_fragment "process-main" page.pk groups=page.translation_key %}
      ...the hero, the phases, the participation pages...
    {% endshared_fragment %}

A fragment is kept under what the anonymous page cache keys whole pages by (civic_site/pagecache.py): the
release, the ``content`` version (every publication, and every vocabulary saved on its own), the versions
of the translation groups named by ``groups`` (what citizens did there: counts, statuses), the language and
the host; with the name and the other parts the template gives. It expires when a stored page would (the
next local midnight or registered schedule change: statuses shown by the clock) and never outlives a day.

What goes inside must be the same for every visitor: no form, no CSRF token, nothing of ``user``.
Previews render it afresh (the page being edited is not the stored one), as does DEBUG (an edited template
shows at once).
"""

from datetime import timedelta

from django import template
from django.conf import settings
from django.core.cache import cache
from django.utils import timezone, translation
from django.utils.safestring import mark_safe

from civic_site import pagecache

register = template.Library()

LONGEST = timedelta(days=1)


class SharedFragmentNode(template.Node):
    def __init__(self, nodelist, name, parts, groups):
        self.nodelist, self.name, self.parts, self.groups = nodelist, name, parts, groups

    def render(self, context):
        request = context.get("request")
        if request is None or settings.DEBUG or getattr(request, "is_preview", False):
            return self.nodelist.render(context)
        groups = self.groups.resolve(context) if self.groups is not None else ()
        groups = list(groups) if isinstance(groups, (list, tuple, set)) else [groups]
        tags = [pagecache.CONTENT, *(pagecache.group_tag(group) for group in groups if group)]
        versions = pagecache.versions(tags)
        key = ":".join(
            str(part)
            for part in (
                pagecache.KEY_PREFIX,
                "fragment",
                self.name.resolve(context),
                pagecache.release(),
                *versions.values(),
                translation.get_language(),
                request.get_host(),
                *(part.resolve(context) for part in self.parts),
            )
        )
        html = cache.get(key)
        if html is None:
            html = self.nodelist.render(context)
            now = timezone.now()
            until = min(pagecache.expires_at(now, versions[pagecache.CONTENT]), now + LONGEST)
            cache.set(key, str(html), max(1, int((until - now).total_seconds())))
        return mark_safe(html)  # noqa: S308 - rendered (and escaped) by the template


@register.tag
def shared_fragment(parser, token):
    """``{% shared_fragment name [part ...] [groups=keys] %}...{% endshared_fragment %}``: see the module."""
    bits = token.split_contents()
    if len(bits) < 2:
        raise template.TemplateSyntaxError(f"'{bits[0]}' needs a name")
    groups = None
    parts = []
    for bit in bits[2:]:
        if bit.startswith("groups="):
            groups = parser.compile_filter(bit.removeprefix("groups="))
        else:
            parts.append(parser.compile_filter(bit))
    nodelist = parser.parse(("endshared_fragment",))
    parser.delete_first_token()
    return SharedFragmentNode(nodelist, parser.compile_filter(bits[1]), parts, groups)
