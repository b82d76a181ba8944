# Two commands on a fresh machine:  `make run` starts the embedded ember on 127.0.0.1:8776,
# `make test` runs every test tier. Both create the venv first; `make run` needs only Python 3.11+
# (ember and what it imports, from PyPI), the test targets add the test extras and Debian packages.
VENV ?= .venv
PY := $(VENV)/bin/python
RUN_STAMP := $(VENV)/.run-stamp
STAMP := $(VENV)/.installed-stamp
# the C MariaDB driver needs Debian's libmariadb-dev to build, so it comes after the packages
MYSQL_STAMP := $(VENV)/.mysqlclient-stamp

.PHONY: run test test-unit test-integration test-clients test-ha test-keystone packages bench lint clean sample-config

$(RUN_STAMP): pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(VENV)/bin/pip install -q --upgrade pip
	$(VENV)/bin/pip install -q -e .
	touch $(RUN_STAMP)

$(STAMP): $(RUN_STAMP) pyproject.toml
	$(VENV)/bin/pip install -q -e '.[test]'
	touch $(STAMP)

$(MYSQL_STAMP): $(STAMP) pyproject.toml
	deploy/install-packages
	$(VENV)/bin/pip install -q -e '.[test,mysqlclient]'
	touch $(MYSQL_STAMP)

run: $(RUN_STAMP)
	MALLOC_ARENA_MAX=2 $(VENV)/bin/ember-all $(ARGS)

packages:
	deploy/install-packages

test: $(MYSQL_STAMP) packages
	$(VENV)/bin/pytest tests/unit -q
	$(VENV)/bin/pytest -m integration tests/integration -q
	$(VENV)/bin/pytest -m clients tests/clients -q
	$(VENV)/bin/pytest -m ha tests/ha -q
	$(VENV)/bin/pytest -m keystone tests/keystone -q

test-unit: $(STAMP)
	$(VENV)/bin/pytest tests/unit -q

test-integration: $(MYSQL_STAMP) packages
	$(VENV)/bin/pytest -m integration tests/integration -q

test-clients: $(STAMP)
	$(VENV)/bin/pytest -m clients tests/clients -q

test-ha: $(MYSQL_STAMP) packages
	$(VENV)/bin/pytest -m ha tests/ha -q

# a real Keystone 30 (and Tempest) in venvs of their own under ~/.cache/ember, built on first use
test-keystone: $(MYSQL_STAMP) packages
	$(VENV)/bin/pytest -m keystone tests/keystone -q

bench: $(MYSQL_STAMP) packages
	$(PY) -m bench.run $(ARGS)

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy api scheduler volume backup operations drivers db rpc common client launch bench tests

clean:
	rm -rf $(VENV) .state

sample-config: $(STAMP)
	$(VENV)/bin/oslo-config-generator --config-file deploy/ember-config-generator.conf
