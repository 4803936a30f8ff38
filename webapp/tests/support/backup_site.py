"""The site the documented backups are tried on (test_sqlite_backup.py, test_postgres_backup.py).

WRITER, run as `python -c WRITER IMAGE IMAGE IMAGE` with the site's environment: stores two
readings of the first two X-rays through the app's own code, prints "written", then one more
reading of the third per line read from stdin (printing its storage key), holding its database
connection open all along, as the running app does.
"""

WRITER = """
import os, sys
from pathlib import Path
import django
django.setup()
from webapp.accounts.models import User
from webapp.tests.support.screening_helpers import store_reading
model_dir, images = Path(os.environ["CXR_MODEL_DIR"]), [Path(p) for p in sys.argv[1:]]
owner = User.objects.create_user(email="keeps@hospital.example", password=None, full_name="K")
for image in images[:2]:
    store_reading(owner, model_dir, image)
print("written", flush=True)
for _line in sys.stdin:  # one more reading per line; the connection stays open, as the app's
    print(store_reading(owner, model_dir, images[2]).storage_key, flush=True)
"""
