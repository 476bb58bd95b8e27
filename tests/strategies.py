"""Hypothesis strategies for hostile input: what a careless or malicious client may send to a form or URL.

    from tests.strategies import hostile_text, hostile_number, hostile_field

``hostile_text`` is text a citizen might type or paste, and worse: markup, quotes, control characters,
bidirectional overrides, combining marks, very long strings. ``hostile_number`` is what arrives where a
number is expected (ids, page numbers). ``hostile_field`` adds the wrong shapes: a list where one value is
expected, or nothing at all. Everything is a ``str`` (or a list of them): that is all HTTP can carry.
"""

from hypothesis import strategies as st

# Markup and injection payloads that must come back as text, never as elements or queries.
PAYLOADS = [
    "<script>alert(1)</script>",
    "<SCRIPT SRC=//evil.example/x.js></SCRIPT>",
    '"><img src=x onerror=alert(1)>',
    "'><svg/onload=alert(1)>",
    "</textarea><script>alert(1)</script>",
    "</p><iframe src=javascript:alert(1)>",
    '<a href="javascript:alert(1)">clic</a>',
    "javascript:alert(1)",
    "http://example.org/<script>alert(1)</script>",
    'https://example.org/" onmouseover="alert(1)',
    'www.example.org"><script>alert(1)</script>',
    "mario@example.org<script>alert(1)</script>",
    "<!-- <script>alert(1)</script> -->",
    "<![CDATA[<script>alert(1)</script>]]>",
    "&lt;script&gt;alert(1)&lt;/script&gt;",
    "&#60;script&#62;",
    "{{ request.user.email }}",
    "{% debug %}",
    "%s%s%s%n",
    "' OR '1'='1",
    "'; DROP TABLE participation_participationcomment; --",
    '" OR ""="',
    "\\",
    "\x00",
    "a\x00<script>",
]

# Characters that change how text reads or renders: bidirectional controls, invisible and combining marks.
ODD_CHARACTERS = [
    "\u202e",  # RIGHT-TO-LEFT OVERRIDE
    "\u202d",  # LEFT-TO-RIGHT OVERRIDE
    "\u200f",  # RIGHT-TO-LEFT MARK
    "\u2066",  # LEFT-TO-RIGHT ISOLATE
    "\u2069",  # POP DIRECTIONAL ISOLATE
    "\u200b",  # ZERO WIDTH SPACE
    "\u200d",  # ZERO WIDTH JOINER
    "\ufeff",  # BYTE ORDER MARK
    "\u0301",  # COMBINING ACUTE ACCENT
    "\u0336",  # COMBINING LONG STROKE OVERLAY
    "\u20dd",  # COMBINING ENCLOSING CIRCLE
    "\u05d0",  # HEBREW LETTER ALEF
    "\u0627",  # ARABIC LETTER ALEF
    "\ufdfd",  # ARABIC LIGATURE BISMILLAH (one character, very wide)
    "\u3377",  # SQUARE DM (grows under NFKC)
    "\uff1c",  # FULLWIDTH LESS-THAN SIGN
    "\ufe64",  # SMALL LESS-THAN SIGN
    "\u2028",  # LINE SEPARATOR
    "\u2029",  # PARAGRAPH SEPARATOR
    "\U0001f1ee\U0001f1f9",  # flag of Italy (two code points)
    "\U0001f469\u200d\U0001f467",  # a family emoji (joined)
]

CONTROL_CHARACTERS = st.characters(min_codepoint=0, max_codepoint=0x1F) | st.characters(
    min_codepoint=0x7F, max_codepoint=0x9F
)

# Numbers as a client may send them where an id or a page number is expected.
ODD_NUMBERS = [
    "",
    " ",
    "0",
    "-1",
    "-0",
    "+1",
    " 1 ",
    "1.5",
    "1e3",
    "1e309",
    "NaN",
    "nan",
    "inf",
    "-Infinity",
    "0x10",
    "1_000",
    "²",  # str.isdigit() says yes, int() says no
    "٣",  # ARABIC-INDIC DIGIT THREE: int() reads 3
    "１",  # FULLWIDTH DIGIT ONE
    "9223372036854775807",  # the largest 64-bit integer
    "9223372036854775808",
    "-9223372036854775809",
    "99999999999999999999999999999999999999",
    "null",
    "undefined",
    "[]",
    "{}",
    "1; DROP TABLE x",
    "1' OR '1'='1",
]


def long_text(min_size=2_900, max_size=12_000):
    """Long text, around the comment limit (3000) and well beyond it."""
    return st.builds(
        lambda unit, size: (unit * size)[:size],
        st.sampled_from(["a", "è", "<script>", "\u202e", "e\u0301", " ", "\n", "🇮🇹"]),
        st.integers(min_size, max_size),
    )


def hostile_text(max_size=80):
    """Text to put in a form field or a query parameter (a plain ``str``)."""
    pieces = st.one_of(
        st.sampled_from(PAYLOADS),
        st.sampled_from(ODD_CHARACTERS),
        st.text(CONTROL_CHARACTERS, min_size=1, max_size=3),
        st.text(max_size=12),
    )
    return st.one_of(
        st.text(max_size=max_size),
        st.sampled_from(PAYLOADS),
        st.lists(pieces, min_size=1, max_size=6).map("".join),
        long_text(),
    )


def hostile_number():
    """A string where a number is expected: odd, negative, huge, not a number at all."""
    return st.one_of(
        st.sampled_from(ODD_NUMBERS),
        st.integers().map(str),
        st.floats(allow_nan=True, allow_infinity=True).map(str),
        hostile_text(max_size=20),
    )


def hostile_field(values):
    """A field as a client may send it: one value, several (a list where a scalar is expected), or none."""
    return st.one_of(values, st.lists(values, max_size=3))


def hostile_coordinate():
    """A latitude or longitude as a map form may receive it: out of range, NaN, infinite, not a number.

    No endpoint takes coordinates yet; the pins of ideas and neighbourhood reports will.
    """
    return st.one_of(
        st.floats(min_value=-90, max_value=90).map(str),
        st.floats(allow_nan=True, allow_infinity=True).map(str),
        st.sampled_from(["NaN", "-nan", "Infinity", "90.0000001", "-180.1", "1e400", "45,07", "7°41′E"]),
        hostile_number(),
    )
