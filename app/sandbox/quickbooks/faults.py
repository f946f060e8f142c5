"""QuickBooks Fault bodies (JSON, the lower-case 401 shape, the XML throttle) and the error the emulator raises."""
from __future__ import annotations

from datetime import datetime
from typing import Any

THROTTLE_MESSAGE = "message=ThrottleExceeded; errorCode=003001; statusCode=429"
THROTTLE_DETAIL = "The request limit was reached."


class QboFault(Exception):
    """Raised inside the emulator; turned into an HTTP response with a `Fault` body."""

    def __init__(
        self, code: str, message: str, detail: str = "", *, status: int = 400,
        fault_type: str = "ValidationFault", element: str | None = "",
    ) -> None:
        super().__init__(f"{code} {message}: {detail}")
        self.code, self.message, self.detail = code, message, detail
        self.status, self.fault_type, self.element = status, fault_type, element

    def fault(self) -> dict[str, Any]:
        """`element` None leaves the key out, as QuickBooks does for query validation errors."""
        error: dict[str, Any] = {"Message": self.message, "Detail": self.detail, "code": self.code}
        if self.element is not None:
            error["element"] = self.element
        return {"Error": [error], "type": self.fault_type}


def fault_body(error: QboFault, now: datetime) -> dict[str, Any]:
    return {"Fault": error.fault(), "time": format_time(now, millis=True)}


def format_time(when: datetime, *, millis: bool = False) -> str:
    """QBO's timestamp style: local company time with offset, e.g. 2020-09-29T05:58:07-07:00."""
    return when.isoformat(timespec="milliseconds" if millis else "seconds")


def not_found(entity: str, object_id: str) -> QboFault:
    detail = f"Object Not Found : Something you're trying to use has been made inactive. {entity} Id={object_id}"
    return QboFault("610", "Object Not Found", detail)


def made_inactive() -> QboFault:
    """What QBO answers when a transaction references an inactive customer, item or term (fixture wording)."""
    return QboFault("610", "Object Not Found",
                    "Object Not Found : Something you're trying to use has been made inactive. Check the fields "
                    "with accounts, customers, items, vendors or employees.")


def stale_object() -> QboFault:
    detail = ("Stale Object Error : You and Emulator were working on this at the same time. "
              "Emulator finished before you did, so your work was not saved.")
    return QboFault("5010", "Stale Object Error", detail)


def duplicate_name(existing_id: str) -> QboFault:
    return QboFault("6240", "Duplicate Name Exists Error",
                    f"The name supplied already exists. : Another customer, vendor or employee is "
                    f"already using this name. Please use a different name. Id={existing_id}")


def duplicate_doc_number(doc_number: str, txn_type: str, txn_id: str) -> QboFault:
    return QboFault("6140", "Duplicate Document Number Error",
                    f"Duplicate Document Number Error : You must specify a different number. This number "
                    f"has already been used. DocNumber={doc_number} is assigned to TxnType={txn_type} "
                    f"with TxnId={txn_id}")


def required(field: str) -> QboFault:
    return QboFault("2020", "Required param missing, need to supply the required value for the API",
                    f"Required parameter {field} is missing in the request", element=field)


def invalid_value(field: str, why: str) -> QboFault:
    return QboFault("2010", "Request has invalid or unsupported property", f"{field}: {why}", element=field)


def invalid_reference(entity: str, object_id: str) -> QboFault:
    return QboFault("2500", "Invalid Reference Id",
                    f"Invalid Reference Id : {entity} assigned to this transaction has been deleted "
                    f"or does not exist. Id={object_id}")


def business_rule(detail: str) -> QboFault:
    return QboFault("6000", "A business validation error has occurred while processing your request",
                    f"Business Validation Error: {detail}")


def query_parse_error(detail: str) -> QboFault:
    return QboFault("4000", "Error parsing query", f"QueryParserError: {detail}")


def query_validation_error(detail: str) -> QboFault:
    """4001 as QuickBooks sends it (e.g. an unknown entity): its Error carries no `element` at all."""
    return QboFault("4001", "Invalid query", f"QueryValidationError: {detail}", element=None)


def system_fault(detail: str = "An application error has occurred while processing your request") -> QboFault:
    return QboFault("10000", "An application error has occurred while processing your request",
                    detail, status=500, fault_type="SystemFault")


def throttled() -> QboFault:
    return QboFault("3001", THROTTLE_MESSAGE, THROTTLE_DETAIL, status=429, fault_type="SERVICE")


def realm_forbidden(realm_id: str) -> QboFault:
    return QboFault("3100", "message=ApplicationAuthorizationFailed; errorCode=003100; statusCode=403",
                    f"The application is not authorized to access company {realm_id}",
                    status=403, fault_type="SERVICE")


def throttle_xml(now: datetime) -> str:
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        f'<IntuitResponse time="{format_time(now, millis=True)}" xmlns="http://schema.intuit.com/finance/v3">\n'
        '  <Fault type="SERVICE">\n    <Error code="3001">\n'
        f"      <Message>{THROTTLE_MESSAGE}</Message>\n"
        f"      <Detail>{THROTTLE_DETAIL}  Try again later</Detail>\n"
        "    </Error>\n  </Fault>\n</IntuitResponse>\n"
    )


def authentication_failed_body(detail: str, now: datetime) -> dict[str, Any]:
    """The real 401 body: lower-case `fault.error[]`, type AUTHENTICATION (fixture fault_401_3200)."""
    error = {"message": "message=AuthenticationFailed; errorCode=003200; statusCode=401",
             "detail": detail, "code": "3200", "element": None}
    return {
        "warnings": None, "intuitObject": None, "fault": {"error": [error], "type": "AUTHENTICATION"},
        "report": None, "queryResponse": None, "batchItemResponse": [], "attachableResponse": [],
        "syncErrorResponse": None, "requestId": None, "time": int(now.timestamp() * 1000),
        "status": None, "cdcresponse": [],
    }
