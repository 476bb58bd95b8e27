"""Open data for the public: each closed process's results as one ZIP, and the catalogue of every dataset.

When a process's participation is over (its status is "closed" or "results"), its page shows an Open data
section and ``/<lang>/dati|data/<process slug>.zip`` serves its results: a CSV file per table of each page
that has closed (tallies, anonymised votes and ballots, published ideas, public reports, comments without
authors or texts), a GeoJSON file per map, a Pabulib file per budget and a README naming the licence the
editor chose, the method of each page and the meaning of every column. The files are the staff exports'
tables (participation.exports) in their public form, with pseudonyms that differ from one process's files to
another's (``pseudonym_scope``): the figures in the files are those the pages show.

``/<lang>/dati|data/`` lists the datasets (the closed processes, and the reporting pages' live feeds) for
people; ``catalog.jsonld`` beside it describes the same datasets in DCAT-AP_IT (JSON-LD), the Italian profile
of the vocabulary that open-data portals (CKAN with ckanext-dcatapit, dati.gov.it) harvest.

A ZIP is built once and kept under OPEN_DATA_ROOT, named by a fingerprint of what it holds (the pages'
publication times and their participation groups' versions, which every vote, idea or moderation bumps): a
change makes a new one, and harvesters get an ETag to ask "has it changed?".
"""

import hashlib
import os
import tempfile
import zipfile
from pathlib import Path

from django.conf import settings
from django.http import FileResponse, Http404, HttpResponseNotModified, JsonResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.cache import patch_cache_control
from django.utils.text import slugify
from django.utils.translation import gettext as _

from civic_site import pagecache
from civic_site.pages import public
from consultations.licences import licence
from consultations.models import ConsultationPage, Status

from .budgets import pseudonym_scope
from .exports import Exporter, exporter_for, write_csv_member, write_geojson_stream, zip_text_member

PUBLISHED_STATUSES = (Status.CLOSED.value, Status.RESULTS.value)
MAX_AGE = 10 * 60  # seconds a browser or proxy may keep a ZIP or the catalogue before asking again
EU = "http://publications.europa.eu/resource/authority/"
LANGUAGES = {"it": "ITA", "en": "ENG"}  # EU language authority codes
FILE_TYPES = {"zip": "ZIP", "geojson": "GEOJSON", "json": "JSON"}
MEDIA_TYPES = {"zip": "application/zip", "geojson": "application/geo+json", "json": "application/json"}


# --- which processes are published ------------------------------------------------------------------------


def published_processes(language=None):
    """Live, public processes whose participation is over, annotated by ``with_status`` (one query, plus one
    for view restrictions when there are some); ``language``: only that locale's pages."""
    found = public(ConsultationPage.objects.live()).with_status().filter(computed_status__in=PUBLISHED_STATUSES)
    if language:
        found = found.filter(locale__language_code=language)
    return found.select_related("locale").defer_streamfields().order_by("path")


def find_process(language, slug):
    """The published process with ``slug`` in ``language``, or 404."""
    process = published_processes(language).filter(slug=slug).first()
    if process is None:
        raise Http404("No published dataset with this name.")
    return process


def reporting_pages(language=None):
    """Live, public reporting pages: their reports are open data from the first one (a live feed)."""
    from .models import ReportingPage

    found = public(ReportingPage.objects.live()).select_related("locale").order_by("path")
    if language:
        found = found.filter(locale__language_code=language)
    return found


# --- the ZIP ----------------------------------------------------------------------------------------------


def fingerprint(process, exporter):
    """What the ZIP depends on, hashed: the process and its pages (publication times) and the participation
    groups' versions (bumped by every vote, idea, report or moderation decision)."""
    pages = [process, *(child.page for child in exporter.children())]
    tags = [pagecache.group_tag(page.translation_key) for page in pages]
    versions = pagecache.versions(tags)
    parts = [process.locale.language_code, settings.OPEN_DATA_FORMAT_VERSION]
    parts += [f"{page.pk}:{page.last_published_at and page.last_published_at.isoformat()}" for page in pages]
    parts += [f"{tag}:{versions[tag]}" for tag in tags]
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:24]


def archive(process):
    """(path of the process's ZIP, its fingerprint), building it when what it holds has changed."""
    exporter = exporter_for(process, public=True)
    version = fingerprint(process, exporter)
    root = Path(settings.OPEN_DATA_ROOT)
    root.mkdir(parents=True, exist_ok=True)
    path = root / f"{process.pk}-{version}.zip"
    if not path.exists():
        handle, temporary = tempfile.mkstemp(dir=root, prefix=f".{process.pk}-", suffix=".zip")
        os.close(handle)
        try:
            build(process, exporter, temporary)
            os.replace(temporary, path)  # atomic: a reader sees the whole file or none
        finally:
            if os.path.exists(temporary):
                os.unlink(temporary)
        for old in root.glob(f"{process.pk}-*.zip"):
            if old != path:
                old.unlink(missing_ok=True)
    return path, version


def build(process, exporter, path):
    """Write the process's open data to the ZIP at ``path``, in the process's language."""
    language = process.locale.language_code
    with translation.override(language), pseudonym_scope(f"open-data:{process.translation_key}"):
        with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zipped:
            pages = []
            for child in exporter.children():
                pages.append(write_page(zipped, child, child.page.slug))
            own = Exporter.tables(exporter)  # the process page's own: its comment thread
            files = [write_table(zipped, table, table.name, exporter.notes()) for table in own]
            context = readme_context(process, pages, files)
            zipped.writestr("README.txt", render_to_string("participation/open_data_readme.txt", context))


def write_table(zipped, table, name, notes):
    file_name = f"{name}.csv"
    write_csv_member(zipped, file_name, table)
    described = notes.get(table.name, {})
    return {
        "name": file_name,
        "columns": [{"name": column.name, "note": described.get(column.name, "")} for column in table.columns],
    }


def write_page(zipped, exporter, slug):
    """One participation page's files in the ZIP; returns what the README says of them."""
    notes = exporter.notes()
    files = [write_table(zipped, table, f"{slug}_{table.name}", notes) for table in exporter.tables()]
    if exporter.has_features:
        name = f"{slug}.geojson"
        with zip_text_member(zipped, name) as out:
            write_geojson_stream(exporter.features(), out)
        files.append({"name": name, "geojson": True})
    for name, content in exporter.extra_files():
        zipped.writestr(name, content)
        files.append({"name": name, "pabulib": name.endswith(".pb")})
    return {
        "title": exporter.page.title,
        "url": exporter.page.full_url,
        "method": exporter.method(),
        "files": files,
    }


def readme_context(process, pages, files):
    chosen = licence(process.data_licence)
    return {
        "process": process,
        "url": process.full_url,
        "licence": chosen,
        "publisher": settings.OPEN_DATA_PUBLISHER["name"],
        "generated": timezone.localtime(),
        "pages": pages,
        "files": files,
        "catalogue": site_root(process) + reverse("open_data_catalogue"),
    }


def site_root(page):
    """The page's site's address ("https://partecipa.comune.torino.it"), for the README's links."""
    _site_id, root, _path = page.get_url_parts() or (None, settings.WAGTAILADMIN_BASE_URL, None)
    return root.rstrip("/")


def zip_view(request, slug):
    """``/<lang>/dati/<slug>.zip``: a published process's open data, with an ETag; 404 for any other slug."""
    process = find_process(request.LANGUAGE_CODE, slug)
    path, version = archive(process)
    etag = f'"{version}"'
    if etag in [tag.strip() for tag in request.headers.get("If-None-Match", "").split(",")]:
        response = HttpResponseNotModified()
    else:
        response = FileResponse(
            open(path, "rb"),  # noqa: SIM115 (FileResponse closes it)
            as_attachment=True,
            filename=f"{slugify(process.slug) or process.pk}.zip",
            content_type="application/zip",
        )
    response["ETag"] = etag
    patch_cache_control(response, public=True, max_age=MAX_AGE)
    return response


# --- what the process page shows ----------------------------------------------------------------------------


def process_section(page, request, summary, participation_pages):
    """The process page's Open data section (a ``consultation_page_sections`` hook): once participation is
    over, the ZIP, its licence and the catalogue. No query: the page's status is already known."""
    if summary.status not in PUBLISHED_STATUSES or not page.live or not page.slug:
        return None
    with translation.override(page.locale.language_code if page.locale_id else None):
        zip_url = reverse("open_data_zip", args=[page.slug])
        data_url = reverse("open_data")
    return (
        "participation/includes/process_open_data.html",
        {"zip_url": zip_url, "data_url": data_url, "licence": licence(page.data_licence)},
    )


# --- the catalogue ------------------------------------------------------------------------------------------


def datasets(language):
    """The datasets listed on the open-data page in ``language``: [{title, summary, url, licence, downloads}]."""
    listed = []
    for process in published_processes(language):
        listed.append(
            {
                "title": process.title,
                "summary": process.summary,
                "url": process.url,
                "licence": licence(process.data_licence),
                "modified": process_modified(process),
                "downloads": [
                    {"url": reverse("open_data_zip", args=[process.slug]), "label": _("All the results (ZIP)")}
                ],
            }
        )
    parents = parent_processes(reporting_pages(language))
    for page in reporting_pages(language):
        parent = parents.get(page.pk)
        listed.append(
            {
                "title": page.title,
                "summary": page.search_description or (parent.summary if parent else ""),
                "url": page.url,
                "licence": licence(parent.data_licence if parent else None),
                "modified": None,
                "live": True,
                "downloads": [
                    {"url": f"{page.url}reports.geojson", "label": _("The public reports on the map (GeoJSON)")},
                    {"url": "/open311/v2/requests.json", "label": _("Open311 GeoReport v2 service")},
                ],
            }
        )
    return listed


def parent_processes(pages):
    """{page pk: its parent ConsultationPage} in one query."""
    pages = list(pages)
    if not pages:
        return {}
    parent_paths = {page.path[: -page.steplen]: page.pk for page in pages}
    found = ConsultationPage.objects.filter(path__in=parent_paths).defer_streamfields()
    return {parent_paths[parent.path]: parent for parent in found}


def process_modified(process):
    """When the process's data last changed as far as the catalogue knows: its last publication or the end
    of its participation window, whichever is later."""
    moments = [timezone.localdate(process.last_published_at)] if process.last_published_at else []
    if getattr(process, "window_end", None):
        moments.append(process.window_end)
    return max(moments) if moments else None


def index_view(request):
    """``/it/dati/``, ``/en/data/``: every published dataset in the page's language, with its licence."""
    response = render(
        request,
        "participation/open_data.html",
        {"datasets": datasets(request.LANGUAGE_CODE), "catalogue_url": reverse("open_data_catalogue")},
    )
    patch_cache_control(response, public=True, max_age=MAX_AGE)
    return response


def catalogue_view(request):
    """The DCAT-AP_IT catalogue (JSON-LD) of every dataset, in both languages."""
    response = JsonResponse(
        catalogue(request.build_absolute_uri), json_dumps_params={"ensure_ascii": False, "indent": 1}
    )
    response["Content-Type"] = "application/ld+json; charset=utf-8"
    response["Access-Control-Allow-Origin"] = "*"  # a portal's browser-side harvester may read it
    patch_cache_control(response, public=True, max_age=MAX_AGE)
    return response


CONTEXT = {
    "dcat": "http://www.w3.org/ns/dcat#",
    "dct": "http://purl.org/dc/terms/",
    "dcatapit": "http://dati.gov.it/onto/dcatapit#",
    "foaf": "http://xmlns.com/foaf/0.1/",
    "vcard": "http://www.w3.org/2006/vcard/ns#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
    "owl": "http://www.w3.org/2002/07/owl#",
}


def text(values):
    """A multilingual literal: [{"@language": "it", "@value": ...}, ...] for the non-empty ones."""
    return [{"@language": language, "@value": str(value)} for language, value in values.items() if value]


def date_literal(day):
    return {"@type": "xsd:date", "@value": day.isoformat()}


def publisher():
    config = settings.OPEN_DATA_PUBLISHER
    return {
        "@id": f"https://w3id.org/italia/data/public-organization/{config['ipa']}",
        "@type": ["foaf:Agent", "dcatapit:Agent"],
        "dct:identifier": config["ipa"],
        "foaf:name": config["name"],
    }


def licence_node(chosen):
    return {
        "@id": chosen.uri,
        "@type": "dcatapit:LicenseDocument",
        "foaf:name": chosen.short,
        "owl:versionInfo": chosen.version,
        "dct:type": {"@id": chosen.type_uri},
        "foaf:homepage": {"@id": chosen.url},
    }


def distribution(url, kind, title, chosen, language=None):
    node = {
        "@id": url,
        "@type": ["dcat:Distribution", "dcatapit:Distribution"],
        "dct:title": text(title),
        "dct:format": {"@id": f"{EU}file-type/{FILE_TYPES[kind]}"},
        "dcat:mediaType": MEDIA_TYPES[kind],
        "dcat:accessURL": {"@id": url},
        "dcat:downloadURL": {"@id": url},
        "dct:license": licence_node(chosen),
    }
    if language:
        node["dct:language"] = {"@id": f"{EU}language/{LANGUAGES.get(language, language.upper())}"}
    return node


def by_group(pages):
    """{translation key: {language: page}}, in the pages' order."""
    groups = {}
    for page in pages:
        groups.setdefault(page.translation_key, {})[page.locale.language_code] = page
    return groups


def dataset_node(absolute, key, translations, *, periodicity, distributions, chosen, modified, contact):
    config = settings.OPEN_DATA_PUBLISHER
    first = translations.get(settings.LANGUAGE_CODE) or next(iter(translations.values()))
    node = {
        "@id": f"{absolute(first.url)}#dataset",
        "@type": ["dcat:Dataset", "dcatapit:Dataset"],
        "dct:identifier": f"{config['ipa']}:{key}",
        "dct:title": text({language: page.title for language, page in translations.items()}),
        "dct:description": text(
            {
                language: getattr(page, "summary", "") or page.search_description or page.title
                for language, page in translations.items()
            }
        ),
        "dcat:theme": {"@id": f"{EU}data-theme/GOVE"},
        "dct:publisher": {"@id": publisher()["@id"]},
        "dct:rightsHolder": {"@id": publisher()["@id"]},
        "dct:accrualPeriodicity": {"@id": f"{EU}frequency/{periodicity}"},
        "dct:language": [{"@id": f"{EU}language/{LANGUAGES.get(code, code.upper())}"} for code in translations],
        "dcat:landingPage": [{"@id": absolute(page.url)} for page in translations.values()],
        "dcat:distribution": distributions,
    }
    if modified:
        node["dct:modified"] = date_literal(modified)
    if contact:
        node["dcat:contactPoint"] = {
            "@type": ["vcard:Organization", "dcatapit:Organization"],
            "vcard:fn": contact.organiser or config["name"],
            "vcard:hasEmail": {"@id": f"mailto:{contact.contact_email}"},
        }
    return node


def catalogue(absolute):
    """The DCAT-AP_IT catalogue as a JSON-LD document: the closed processes (one ZIP per language) and the
    reporting pages (their live GeoJSON feeds and the Open311 service). ``absolute``: a path to a full URL
    (``request.build_absolute_uri``). A fixed number of queries."""
    config = settings.OPEN_DATA_PUBLISHER
    nodes = []
    newest = None
    for key, translations in by_group(published_processes()).items():
        first = translations.get(settings.LANGUAGE_CODE) or next(iter(translations.values()))
        chosen = licence(first.data_licence)
        distributions = []
        for language, page in translations.items():
            with translation.override(language):
                url = absolute(reverse("open_data_zip", args=[page.slug]))
                title = _("All the results of the process (ZIP of CSV, GeoJSON and Pabulib files, with a README)")
            distributions.append(distribution(url, "zip", {language: title}, chosen, language))
        modified = max(filter(None, (process_modified(page) for page in translations.values())), default=None)
        newest = max(filter(None, (newest, modified)), default=None)
        nodes.append(
            dataset_node(
                absolute,
                key,
                translations,
                periodicity="NEVER",
                distributions=distributions,
                chosen=chosen,
                modified=modified,
                contact=first if first.contact_email else None,
            )
        )
    pages = list(reporting_pages())
    parents = parent_processes(pages)
    for key, translations in by_group(pages).items():
        first = translations.get(settings.LANGUAGE_CODE) or next(iter(translations.values()))
        parent = parents.get(first.pk)
        chosen = licence(parent.data_licence if parent else None)
        distributions = []
        for language, page in translations.items():
            with translation.override(language):
                title = _("The public reports, updated continuously (GeoJSON)")
            distributions.append(
                distribution(absolute(f"{page.url}reports.geojson"), "geojson", {language: title}, chosen, language)
            )
        with translation.override(settings.LANGUAGE_CODE):
            open311 = _("Open311 GeoReport v2 service (JSON)")
        distributions.append(distribution(absolute("/open311/v2/requests.json"), "json", {"it": open311}, chosen))
        nodes.append(
            dataset_node(
                absolute,
                key,
                translations,
                periodicity="CONT",
                distributions=distributions,
                chosen=chosen,
                modified=timezone.localdate(),
                contact=parent if parent and parent.contact_email else None,
            )
        )
    with translation.override("it"):
        title_it, description_it = (
            _("Open data of Torino Partecipa"),
            _(
                "The results of the City of Turin's participatory processes: votes, participatory budgets, ideas "
                "on the map and neighbourhood reports, anonymised."
            ),
        )
    with translation.override("en"):
        title_en, description_en = (
            _("Open data of Torino Partecipa"),
            _(
                "The results of the City of Turin's participatory processes: votes, participatory budgets, ideas "
                "on the map and neighbourhood reports, anonymised."
            ),
        )
    with translation.override(settings.LANGUAGE_CODE):
        index = absolute(reverse("open_data"))
    return {
        "@context": CONTEXT,
        "@graph": [
            {
                "@id": index,
                "@type": ["dcat:Catalog", "dcatapit:Catalog"],
                "dct:title": text({"it": title_it, "en": title_en}),
                "dct:description": text({"it": description_it, "en": description_en}),
                "dct:publisher": {"@id": publisher()["@id"]},
                "dct:modified": date_literal(newest or timezone.localdate()),
                "dct:language": [{"@id": f"{EU}language/{code}"} for code in LANGUAGES.values()],
                "foaf:homepage": {"@id": absolute("/")},
                "dcat:themeTaxonomy": {"@id": f"{EU}data-theme"},
                "dcat:dataset": [{"@id": node["@id"]} for node in nodes],
                "dct:rightsHolder": {"@id": publisher()["@id"]},
                "dct:identifier": f"{config['ipa']}:torino-partecipa",
            },
            publisher(),
            *nodes,
        ],
    }


def urls():
    """The URL patterns, under the language prefix and a translated ``data/`` (civic_site.urls)."""
    from django.urls import path

    return [
        path("", index_view, name="open_data"),
        path("catalog.jsonld", catalogue_view, name="open_data_catalogue"),
        path("<slug:slug>.zip", zip_view, name="open_data_zip"),
    ]
