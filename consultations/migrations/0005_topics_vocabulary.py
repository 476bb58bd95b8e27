"""Loads the "Modello Comuni" topics (consultations/topics.py) in Italian and English, and gives the
processes the topics nearest to their former free tags (consultations.topics.FORMER_TAGS)."""

import uuid

from django.db import migrations

# A copy, not an import: a migration keeps doing what it did when the module changes.
VOCABULARY = [
    ("Accesso all'informazione", "Access to information"),
    ("Acqua", "Water"),
    ("Agricoltura", "Agriculture"),
    ("Animale domestico", "Pets"),
    ("Aria", "Air"),
    ("Assistenza agli invalidi", "Disability assistance"),
    ("Assistenza sociale", "Social assistance"),
    ("Associazioni", "Associations"),
    ("Bilancio", "Budget"),
    ("Commercio all'ingrosso", "Wholesale trade"),
    ("Commercio al minuto", "Retail trade"),
    ("Commercio ambulante", "Street trading"),
    ("Comunicazione istituzionale", "Institutional communication"),
    ("Comunicazione politica", "Political communication"),
    ("Concorsi", "Public competitions"),
    ("Covid-19", "Covid-19"),
    ("Elezioni", "Elections"),
    ("Energie rinnovabili", "Renewable energy"),
    ("Estero", "Abroad"),
    ("Foreste", "Forests"),
    ("Formazione professionale", "Vocational training"),
    ("Gemellaggi", "Town twinning"),
    ("Gestione rifiuti", "Waste management"),
    ("Giustizia", "Justice"),
    ("Igiene pubblica", "Public hygiene"),
    ("Immigrazione", "Immigration"),
    ("Imposte", "Taxes"),
    ("Imprese", "Businesses"),
    ("Inquinamento", "Pollution"),
    ("Integrazione sociale", "Social integration"),
    ("Isolamento termico", "Thermal insulation"),
    ("Istruzione", "Education"),
    ("Lavoro", "Employment"),
    ("Matrimonio", "Marriage"),
    ("Mercato", "Markets"),
    ("Mobilità sostenibile", "Sustainable mobility"),
    ("Morte", "Death"),
    ("Nascita", "Birth"),
    ("Parcheggi", "Parking"),
    ("Patrimonio culturale", "Cultural heritage"),
    ("Pesca", "Fishing"),
    ("Piano di sviluppo", "Development plan"),
    ("Pista ciclabile", "Cycle lanes"),
    ("Politica commerciale", "Trade policy"),
    ("Polizia", "Police"),
    ("Prodotti alimentari", "Food products"),
    ("Protezione civile", "Civil protection"),
    ("Residenza", "Residence"),
    ("Risposta alle emergenze", "Emergency response"),
    ("Sistema giuridico", "Legal system"),
    ("Spazio verde", "Green spaces"),
    ("Sport", "Sport"),
    ("Sviluppo sostenibile", "Sustainable development"),
    ("Tassa sui servizi", "Service charges"),
    ("Tempo libero", "Leisure"),
    ("Trasparenza amministrativa", "Administrative transparency"),
    ("Trasporto pubblico", "Public transport"),
    ("Turismo", "Tourism"),
    ("Urbanizzazione", "Urban development"),
    ("Viaggi", "Travel"),
    ("Zone pedonali", "Pedestrian areas"),
    ("ZTL", "Limited traffic zones"),
]
FORMER_TAGS = {
    "verde": "Spazio verde",
    "green spaces": "Spazio verde",
    "cultura": "Patrimonio culturale",
    "culture": "Patrimonio culturale",
    "quartieri": "Urbanizzazione",
    "neighbourhoods": "Urbanizzazione",
}


def load(apps, schema_editor):
    from django.utils.text import slugify

    Locale = apps.get_model("wagtailcore", "Locale")
    Topic = apps.get_model("consultations", "Topic")
    locales = {code: Locale.objects.get_or_create(language_code=code)[0] for code in ("it", "en")}
    keys = {}
    for italian, english in VOCABULARY:
        key = uuid.uuid4()
        for code, name in (("it", italian), ("en", english)):
            topic, _created = Topic.objects.get_or_create(
                locale=locales[code],
                slug=slugify(name.replace("'", " ")),
                defaults={"name": name, "translation_key": key},
            )
            key = topic.translation_key  # an Italian row already there: the English one joins it
        keys[italian] = key

    # The processes' free tags → the nearest topic, in the page's language; the latest revision too, so
    # that the next edit in the admin keeps them.
    PageTag = apps.get_model("consultations", "ConsultationPageTag")
    ConsultationPage = apps.get_model("consultations", "ConsultationPage")
    Revision = apps.get_model("wagtailcore", "Revision")
    through = ConsultationPage._meta.get_field("topics").remote_field.through
    chosen = {}
    for item in PageTag.objects.select_related("tag", "content_object"):
        italian = FORMER_TAGS.get(item.tag.name.lower())
        if italian is None:
            continue
        topic = Topic.objects.filter(translation_key=keys[italian], locale_id=item.content_object.locale_id).first()
        if topic is not None:
            chosen.setdefault(item.content_object, set()).add(topic.pk)
    for page, topic_pks in chosen.items():
        for pk in topic_pks:
            through.objects.get_or_create(consultationpage_id=page.pk, topic_id=pk)
        if page.latest_revision_id:
            revision = Revision.objects.filter(pk=page.latest_revision_id).first()
            if revision is not None and isinstance(revision.content, dict):
                revision.content["topics"] = sorted(topic_pks)
                revision.save(update_fields=["content"])


class Migration(migrations.Migration):

    dependencies = [
        ('consultations', '0004_topics'),
        ('wagtailcore', '0098_apitoken'),
    ]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
