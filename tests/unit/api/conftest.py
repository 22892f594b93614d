"""What the API's unit tests share: an org's app with no network behind it (one per test
module), and its OpenAPI document."""

import pytest
from offline_app import offline_app


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    return offline_app(tmp_path_factory.mktemp("api"))


@pytest.fixture(scope="module")
def document(app):
    with app.app_context():
        return app.spec  # warnings are errors (pyproject): a schema added twice fails here
