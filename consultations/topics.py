"""The "Modello Comuni" controlled vocabulary of municipal topics ("Tassonomia argomenti", criterion C.SI.1.5).

The list the Designers Italia model for municipal websites publishes in its information architecture
document (a subset of EuroVoc), with the English names this site uses. The data migration
consultations/migrations/0005_topics_vocabulary.py loads it (Italian and English rows sharing a
translation key); editors may then describe the topics, not rename them: the national validator checks
the names against this list.
"""

from django.utils.text import slugify

# (Italian, English), in the model's order.
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

# The free tags processes had before the vocabulary (the demo's, in both languages) → the nearest topic.
FORMER_TAGS = {
    "verde": "Spazio verde",
    "green spaces": "Spazio verde",
    "cultura": "Patrimonio culturale",
    "culture": "Patrimonio culturale",
    "quartieri": "Urbanizzazione",
    "neighbourhoods": "Urbanizzazione",
}


def slug(name):
    return slugify(name.replace("'", " "))


def english_name(italian):
    return dict(VOCABULARY)[italian]


def ensure_vocabulary():
    """Create the vocabulary's missing rows (Italian and English): what the data migration loads, again after
    a test database was flushed (seed_demo calls it). Returns the number of rows created."""
    from wagtail.models import Locale

    from .models import Topic

    locales = {code: Locale.objects.get_or_create(language_code=code)[0] for code in ("it", "en")}
    existing = {(topic.locale_id, topic.slug): topic for topic in Topic.objects.all()}
    created = 0
    for italian, english in VOCABULARY:
        key = None
        for code, name in (("it", italian), ("en", english)):
            topic = existing.get((locales[code].pk, slug(name)))
            if topic is None:
                fields = {"translation_key": key} if key else {}
                topic = Topic.objects.create(locale=locales[code], slug=slug(name), name=name, **fields)
                created += 1
            key = topic.translation_key
    return created
