# Indonesian: Django's formats ("j N Y, G.i"), labelled with the time zone ("WIB", "WITA", ...).
DATETIME_FORMAT = "j N Y, G.i T"
SHORT_DATETIME_FORMAT = "d-m-Y G.i T"
TIME_FORMAT = "G.i T"
