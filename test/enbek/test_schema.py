"""Validation of the timesheet document against timesheet-v1.xsd and the
rules the XSD cannot state: each failure is a soap:Client fault that names
the wrong element, and the message is not recorded."""
import unittest

from enbek_testlib import (
    CONTRACTED,
    ServiceTestCase,
    employee,
    new_message_id,
    sign,
    timesheet_document,
)

IIN = next(iter(CONTRACTED))


class SchemaTest(ServiceTestCase):

    def assertInvalid(self, document, message_id, text):
        response = self.service.send_timesheet(sign(document), message_id)
        self.assertFault(response, text)
        self.assertNotIn(message_id, self.service.messages())

    def test_period_month_13(self):
        message_id = new_message_id()
        self.assertInvalid(timesheet_document(message_id, period="2026-13"), message_id, "ts:period")

    def test_period_with_time_zone(self):
        message_id = new_message_id()
        self.assertInvalid(timesheet_document(message_id, period="2026-11Z"), message_id, "ts:period")

    def test_bin_not_twelve_digits(self):
        message_id = new_message_id()
        self.assertInvalid(timesheet_document(message_id, bin_="05044000001"), message_id, "ts:bin")

    def test_iin_not_twelve_digits(self):
        message_id = new_message_id()
        document = timesheet_document(message_id, employees=[employee("81011130001X")])
        self.assertInvalid(document, message_id, "ts:iin")

    def test_day_code_outside_form_421(self):
        message_id = new_message_id()
        document = timesheet_document(message_id, employees=[employee(IIN, days=[(2, "X", "8.00")])])
        self.assertInvalid(document, message_id, "'code'")

    def test_every_day_code_accepted(self):
        codes = ["Я", "В", "РП", "П", "О", "Б", "К", "Р", "Г", "А", "ОУ"]
        message_id = new_message_id()
        days = [(n, code, "8.00") for n, code in enumerate(codes, 1)]
        document = timesheet_document(message_id, employees=[employee(IIN, days=days)])
        self.assertEqual(self.service.send_timesheet(sign(document), message_id).code, "SCSS001")

    def test_day_over_24_hours(self):
        message_id = new_message_id()
        document = timesheet_document(message_id, employees=[employee(IIN, days=[(2, "Я", "24.50")])])
        self.assertInvalid(document, message_id, "'hours'")

    def test_hours_without_two_decimals(self):
        message_id = new_message_id()
        document = timesheet_document(message_id, employees=[employee(IIN, days=[(2, "Я", "8")])])
        self.assertInvalid(document, message_id, "'hours'")

    def test_day_number_zero(self):
        message_id = new_message_id()
        document = timesheet_document(message_id, employees=[employee(IIN, days=[(0, "В", "0.00")])])
        self.assertInvalid(document, message_id, "'n'")

    def test_same_day_twice(self):
        message_id = new_message_id()
        days = [(2, "Я", "8.00"), (2, "Я", "8.00")]
        document = timesheet_document(message_id, employees=[employee(IIN, days=days)])
        self.assertInvalid(document, message_id, "dayNumberUnique")

    def test_same_employee_twice(self):
        message_id = new_message_id()
        document = timesheet_document(message_id, employees=[employee(IIN), employee(IIN)])
        self.assertInvalid(document, message_id, "employeeIinUnique")

    def test_no_employees(self):
        message_id = new_message_id()
        self.assertInvalid(timesheet_document(message_id, employees=[], count=1), message_id, "ts:employees")

    def test_missing_message_id(self):
        message_id = new_message_id()
        document = timesheet_document(message_id).replace(f"<ts:messageId>{message_id}</ts:messageId>", "")
        self.assertInvalid(document, message_id, "ts:messageId")

    def test_schema_version_other_than_1_0(self):
        message_id = new_message_id()
        document = timesheet_document(message_id).replace('schemaVersion="1.0"', 'schemaVersion="2.0"')
        self.assertInvalid(document, message_id, "schemaVersion")

    def test_blank_employer_name(self):
        message_id = new_message_id()
        self.assertInvalid(timesheet_document(message_id, name="   "), message_id, "ts:name")

    def test_count_differs_from_employees(self):
        message_id = new_message_id()
        self.assertInvalid(timesheet_document(message_id, count=5), message_id,
                           "ts:employees/@count is 5, but the document has 4 ts:employee")

    def test_day_beyond_end_of_month(self):
        message_id = new_message_id()
        document = timesheet_document(message_id, employees=[employee(IIN, days=[(31, "Я", "8.00")])])
        self.assertInvalid(document, message_id, "ts:day n=31 does not exist in 2026-11")

    def test_days_not_ascending(self):
        message_id = new_message_id()
        days = [(3, "Я", "8.00"), (2, "Я", "8.00")]
        document = timesheet_document(message_id, employees=[employee(IIN, days=days)])
        self.assertInvalid(document, message_id, "ts:day n=2 follows n=3")

    def test_working_days_beyond_month(self):
        message_id = new_message_id()
        document = timesheet_document(message_id, period="2026-02", working_days="29")
        self.assertInvalid(document, message_id, "ts:workingDays is 29, but 2026-02 has 28 days")

    def test_totals_beyond_month(self):
        message_id = new_message_id()
        document = timesheet_document(message_id, employees=[employee(IIN, totals={"daysOff": "31"})])
        self.assertInvalid(document, message_id, "ts:totals/@daysOff is 31")

    def test_leap_day_accepted(self):
        message_id = new_message_id()
        document = timesheet_document(message_id, period="2024-02",
                                      employees=[employee(IIN, days=[(29, "Я", "8.00")])])
        self.assertEqual(self.service.send_timesheet(sign(document), message_id).code, "SCSS001")

    def test_fault_names_line(self):
        message_id = new_message_id()
        response = self.service.send_timesheet(sign(timesheet_document(message_id, period="2026-13")), message_id)
        # The line within the document, which starts with its root element.
        self.assertIn("(line 4)", response.fault_string)


if __name__ == "__main__":
    unittest.main()
