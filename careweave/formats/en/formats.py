"""English date formats in the GOV.UK style (27 March 2026), not Django's US default.

Swedish uses Django's own sv formats (27 mars 2026; 2026-03-27). Templates name the
format ("DATE_FORMAT", "SHORT_DATE_FORMAT", ...) instead of spelling a pattern.
"""

DATE_FORMAT = "j F Y"
SHORT_DATE_FORMAT = "j M Y"
DATETIME_FORMAT = "j F Y, H:i"
SHORT_DATETIME_FORMAT = "j M Y, H:i"
TIME_FORMAT = "H:i"
FIRST_DAY_OF_WEEK = 1
