import pytest


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    """Generated report files go to a per-test MEDIA_ROOT, never into var/media."""
    settings.MEDIA_ROOT = str(tmp_path / "media")
    return tmp_path / "media"
