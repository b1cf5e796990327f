"""IAB TCF v2.3 TC strings: a codec written from the specification, and its rules.

    from bandeau.tcf import decode, encode, validate

    model = validate(decode(tc_string))  # a TCStringError or TCRuleError names the field
    encode(model)  # the same string, when tc_string's vendor sections took the shorter form

The CMP id in a TC string must be the one the IAB assigned to a registered CMP; bandeau's tests
and examples use 999, an obviously fake one.
"""

from __future__ import annotations

from .codec import decode, encode
from .errors import TCRuleError, TCStringError, Violation
from .gvl import Vendor, VendorList, VendorListError, load_vendor_list, parse_vendor_list
from .model import PublisherRestriction, TCModel, model_from_json, model_to_json
from .rules import validate, violations

__all__ = [
    "PublisherRestriction",
    "TCModel",
    "TCRuleError",
    "TCStringError",
    "Vendor",
    "VendorList",
    "VendorListError",
    "Violation",
    "decode",
    "encode",
    "load_vendor_list",
    "model_from_json",
    "model_to_json",
    "parse_vendor_list",
    "validate",
    "violations",
]
