"""Exports as CSV and XLSX, escaped against spreadsheet formula injection."""

from __future__ import annotations

import csv
import io

import openpyxl
import pytest

from tests.factories.catalog import make_question
from tests.factories.orders import make_registrant
from webapp.spreadsheet import safe_cell

EVIL = '=HYPERLINK("http://evil.example","click")'


def download(desk, kind, fmt):
    response = desk.client.get(f"/console/events/{desk.event.id}/exports/{kind}.{fmt}")
    assert response.status_code == 200, response.text
    assert "attachment" in response.headers["Content-Disposition"]
    return response


def csv_rows(response):
    return list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))


def xlsx_rows(response):
    sheet = openpyxl.load_workbook(io.BytesIO(response.data)).active
    return [[c.value for c in row] for row in sheet.iter_rows()], sheet


@pytest.mark.parametrize("value", ["=1+1", "+1", "-1+2", "@SUM(A1)", "\tx", "\rx", "＝1"])
def test_formula_starts_are_neutralized(value):
    assert safe_cell(value) == "'" + value
    assert safe_cell("Ana") == "Ana" and safe_cell(5) == 5


def test_registrants_csv_has_answers_and_escaped_cells(desk):
    question = make_question(desk.event, label="Company", per_attendee=True)
    make_registrant(desk.event, buyer_name=EVIL, attendees=[{"name": EVIL, "email": "x@example.org",
                                                             "answers": {str(question.id): "@evil"}}])  # fmt: skip
    rows = csv_rows(download(desk, "registrants", "csv"))
    header, row = rows[0], rows[1]
    assert "Company" in header and "Name" in header
    assert row[header.index("Name")] == "'" + EVIL
    assert row[header.index("Company")] == "'@evil"


def test_registrants_xlsx_never_holds_a_formula(desk):
    make_registrant(desk.event, buyer_name=EVIL)
    rows, sheet = xlsx_rows(download(desk, "registrants", "xlsx"))
    name_col = rows[0].index("Name")
    assert rows[1][name_col] == "'" + EVIL
    assert all(cell.data_type != "f" for row in sheet.iter_rows() for cell in row)


def test_orders_and_checkins_exports(desk):
    registrant = make_registrant(desk.event, buyer_name="Ana")
    order_rows = csv_rows(download(desk, "orders", "csv"))
    assert order_rows[1][0] == registrant.order.code
    rows, _ = xlsx_rows(download(desk, "orders", "xlsx"))
    assert rows[1][0] == registrant.order.code
    checkin_rows = csv_rows(download(desk, "checkins", "csv"))
    assert checkin_rows[0][1] == "Name" and len(checkin_rows) == 1


def test_exports_of_another_organization_answer_404(desk):
    from tests.factories.accounts import make_org
    from tests.factories.events import make_event

    other = make_event(make_org())
    assert desk.client.get(f"/console/events/{other.id}/exports/registrants.csv").status_code == 404


def test_unknown_export_kind_is_404(desk):
    assert desk.client.get(f"/console/events/{desk.event.id}/exports/secrets.csv").status_code == 404


def test_checkins_export_lists_every_scan(desk):
    from tests.factories.checkin import make_checkin_list
    from webapp.checkin import service as checkin

    checkin_list = make_checkin_list(desk.event, name="Main door")
    r = make_registrant(desk.event, buyer_name="Ana")
    checkin.redeem(desk.event, r.ticket_secret, checkin_list=checkin_list, gate="A")
    checkin.redeem(desk.event, r.ticket_secret, checkin_list=checkin_list, gate="B")
    rows = csv_rows(download(desk, "checkins", "csv"))
    assert [(row[1], row[4], row[6], row[7], row[8]) for row in rows[1:]] == [
        ("Ana", "Main door", "ok", "", "A"),
        ("Ana", "Main door", "error", "already_checked_in", "B"),
    ]


def test_registrants_export_carries_each_ones_participant_group_and_state(desk):
    from webapp.catalog import groups as catalog_groups
    from webapp.orders.models import Registrant

    speakers = catalog_groups.create(desk.event, {"name": "Speakers"}, actor=None)
    attendee = make_registrant(desk.event, desk.product, buyer_name="Ana")
    speaker = make_registrant(desk.event, desk.product, buyer_name="Budi")
    Registrant.update(group=speakers.id).where(Registrant.id == speaker.id).execute()
    Registrant.update(canceled=True).where(Registrant.id == attendee.id).execute()
    rows = csv_rows(download(desk, "registrants", "csv"))
    header = rows[0]
    by_name = {row[header.index("Name")]: row for row in rows[1:]}
    group, state = header.index("Participant group"), header.index("Participant state")
    assert (by_name["Ana"][group], by_name["Ana"][state]) == ("Attendees", "canceled")
    assert (by_name["Budi"][group], by_name["Budi"][state]) == ("Speakers", "registered")


def test_registrants_export_speaks_the_operators_language(desk):
    from webapp.accounts.models import User

    User.update(language="id").where(User.id == desk.owner.id).execute()
    make_registrant(desk.event, desk.product, buyer_name="Ana")
    rows = csv_rows(download(desk, "registrants", "csv"))
    header = rows[0]
    assert "Kelompok peserta" in header and "Status peserta" in header and "Participant group" not in header
    assert rows[1][header.index("Status peserta")] == "terdaftar"
