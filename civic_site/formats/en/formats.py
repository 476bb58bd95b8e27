"""The English interface is British: "4 January 2027", "4 January 2027, 17:00" (not "Jan. 4, 2027, 5 p.m.").

Only display formats here; input formats stay Django's (ISO first, which the admin's widgets use).
"""

DATE_FORMAT = "j F Y"
DATETIME_FORMAT = "j F Y, H:i"
TIME_FORMAT = "H:i"
MONTH_DAY_FORMAT = "j F"
YEAR_MONTH_FORMAT = "F Y"
SHORT_DATE_FORMAT = "d/m/Y"
SHORT_DATETIME_FORMAT = "d/m/Y H:i"
FIRST_DAY_OF_WEEK = 1  # Monday
