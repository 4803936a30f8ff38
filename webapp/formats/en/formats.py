# English: Django's formats ("N j, Y, P"), labelled with the time zone. Only these are overridden.
DATETIME_FORMAT = "N j, Y, P T"
SHORT_DATETIME_FORMAT = "m/d/Y P T"
TIME_FORMAT = "P T"
