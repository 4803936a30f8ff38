"""The project's date formats (settings.FORMAT_MODULE_PATH), on top of Django's per language.

Every date-and-time format ends with the time zone's abbreviation ("T": "WIB", "CET", "UTC"),
so a time on a page or in a report always says which zone it is in (webapp/accounts/timezones.py
activates the reader's zone). In English it also keeps a sentence that ends with a time from
printing "a.m.." (Django's "P" ends in "a.m." and the sentence adds its own full stop).
"""
