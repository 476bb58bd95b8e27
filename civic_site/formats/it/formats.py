"""Italian dates as Italians write them: "4 gennaio 2027", "lunedì 4 gennaio 2027, 17:00".

Django's Italian catalogue capitalises month and weekday names ("Lunedì 04 Gennaio"): the
``long_date``/``long_datetime`` filters (civic_site/templatetags/civic_dates.py) put them in lower case.
Only display formats here; input formats stay Django's.
"""

DATE_FORMAT = "j F Y"
DATETIME_FORMAT = "l j F Y, H:i"
TIME_FORMAT = "H:i"
MONTH_DAY_FORMAT = "j F"
YEAR_MONTH_FORMAT = "F Y"
SHORT_DATE_FORMAT = "d/m/Y"
SHORT_DATETIME_FORMAT = "d/m/Y H:i"
FIRST_DAY_OF_WEEK = 1  # Monday
