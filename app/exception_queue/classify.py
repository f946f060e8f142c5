"""What a failure that retries could not clear means for a person (pure): kind, stable code, reason, fix."""
from __future__ import annotations

from dataclasses import dataclass

from app.errors import AuthenticationFailed, IntegrationError
from app.exception_queue.customers import AmbiguousCustomer
from app.exception_queue.rules import kind_of_code
from app.integrations.quickbooks_errors import DuplicateNameError
from app.invoicing.service import MappingFailed
from app.policy import ExceptionKind

REASON_LIMIT = 1500

FIXES = {
    ExceptionKind.MISSING_FIELD: "Fill the field in Salesforce; the next poll closes this exception.",
    ExceptionKind.INVALID_FIELD: "Correct the value in Salesforce; the next poll closes this exception.",
    ExceptionKind.UNMAPPED_PRODUCT: "Ask finance to map the product to a QuickBooks item in the policy "
                                    "(mappings.products) and make sure the item exists, then press Retry.",
    ExceptionKind.UNMAPPED_TERMS: "Use mapped payment terms in Salesforce, or ask finance to map these terms "
                                  "in the policy (mappings.payment_terms), then press Retry.",
    ExceptionKind.DUPLICATE_CUSTOMER: "Rename the Salesforce account to exactly the QuickBooks customer's name "
                                      "(or merge the duplicates), then press Retry.",
    ExceptionKind.VENDOR_ERROR: "Check the vendor's status; press Retry once it is back.",
    ExceptionKind.UNMAPPED_TAX: "Ask finance to add the QuickBooks tax code for this region and tax category to "
                                "the policy (tax.codes, tax.product_categories); the next poll closes this "
                                "exception.",
    ExceptionKind.APPROVAL_REJECTED: "Rework the deal's terms in Salesforce with the customer as the approver "
                                     "asked; a change posts a new approval request.",
}


@dataclass(frozen=True, slots=True)
class Classified:
    kind: ExceptionKind
    code: str
    reason: str
    fix: str


def classify_failure(error: BaseException, *, step: str) -> Classified:
    """A final work failure as an exception: mapping, duplicate customer, or a plain vendor error."""
    message = str(error)[:REASON_LIMIT] or type(error).__name__
    if isinstance(error, MappingFailed) and error.code:
        kind = kind_of_code(error.code)
        return Classified(kind, error.code, f"Creating the invoice failed: {message}", FIXES[kind])
    duplicate = _duplicate(error)
    if duplicate is not None:
        return Classified(ExceptionKind.DUPLICATE_CUSTOMER, "duplicate_customer",
                          f"The QuickBooks customer is ambiguous: {str(duplicate)[:REASON_LIMIT]}",
                          FIXES[ExceptionKind.DUPLICATE_CUSTOMER])
    vendor = error.vendor if isinstance(error, IntegrationError) else "an internal step"
    fix = FIXES[ExceptionKind.VENDOR_ERROR]
    if isinstance(error, AuthenticationFailed):
        fix = "An admin must reconnect the integration (see the reason), then press Retry."
    return Classified(ExceptionKind.VENDOR_ERROR, f"vendor_error:{step}",
                      f"{_step_label(step)} failed and retries did not clear it ({vendor}): {message}", fix)


def _duplicate(error: BaseException) -> BaseException | None:
    """The duplicate-name error itself, or one a later lookup failed while handling (the 6240 fallback)."""
    seen: BaseException | None = error
    while seen is not None:
        if isinstance(seen, (AmbiguousCustomer, DuplicateNameError)):
            return seen
        seen = seen.__cause__ or seen.__context__
    return None


def _step_label(step: str) -> str:
    return step.replace("_", " ").capitalize()
