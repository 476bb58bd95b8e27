"""The open licences an editor can give a process's open data (its results files and the data catalogue).

Each names the licence as people read it, its deed, and the URI of the same licence in the Italian
national vocabulary that DCAT-AP_IT catalogues use (``dct:license``; dati.gov.it harvests by it), with
its ADMS licence type.
"""

from dataclasses import dataclass

from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

VOCABULARY = "https://w3id.org/italia/controlled-vocabulary/licences/"
ADMS = "http://purl.org/adms/licencetype/"


@dataclass(frozen=True)
class Licence:
    code: str
    name: str  # lazily translated
    short: str
    url: str
    vocabulary_id: str
    adms_type: str
    version: str

    @property
    def uri(self):
        return VOCABULARY + self.vocabulary_id

    @property
    def type_uri(self):
        return ADMS + self.adms_type


LICENCES = {
    licence.code: licence
    for licence in (
        Licence(
            "cc-by-4.0",
            _("Creative Commons Attribution 4.0 International"),
            "CC BY 4.0",
            "https://creativecommons.org/licenses/by/4.0/",
            "A21_CCBY40",
            "Attribution",
            "4.0",
        ),
        Licence(
            "cc0-1.0",
            _("Creative Commons CC0 1.0 Universal (public domain dedication)"),
            "CC0 1.0",
            "https://creativecommons.org/publicdomain/zero/1.0/",
            "A11_CCO10",
            "PublicDomain",
            "1.0",
        ),
        Licence(
            "cc-by-sa-4.0",
            _("Creative Commons Attribution-ShareAlike 4.0 International"),
            "CC BY-SA 4.0",
            "https://creativecommons.org/licenses/by-sa/4.0/",
            "A31_CCBYSA40",
            "ShareAlike",
            "4.0",
        ),
        Licence(
            "iodl-2.0",
            _("Italian Open Data Licence 2.0"),
            "IODL 2.0",
            "https://www.dati.gov.it/content/italian-open-data-license-v20",
            "A29_IODL20",
            "Attribution",
            "2.0",
        ),
    )
}
DEFAULT = "cc-by-4.0"
CHOICES = [(licence.code, format_lazy("{}: {}", licence.short, licence.name)) for licence in LICENCES.values()]


def licence(code):
    """The Licence of ``code``; the default one for an unknown code (a licence removed from this list)."""
    return LICENCES.get(code) or LICENCES[DEFAULT]
