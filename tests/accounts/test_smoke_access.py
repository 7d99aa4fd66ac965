import pytest

from apps.accounts import access


@pytest.mark.django_db
def test_operator_sees_only_granted_line(operator, line_a, line_b):
    assert list(access.visible_lines(operator)) == [line_a]
    assert access.can_access_line(operator, line_a.pk, "lines.operate_line")
    assert not access.can_access_line(operator, line_b.pk)
    assert not access.can_access_line(operator, line_a.pk, "lines.edit_downtime")
