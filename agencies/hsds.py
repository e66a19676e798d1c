"""The directory in Open Referral HSDS 3.0 shape: agencies are organizations, programs services.

Each service carries its type twice as an HSDS attribute: our taxonomy term
(`referral-hub service types`) and, where one exists, the Open Eligibility term it maps to
(agencies/taxonomy.py). Capacity has no HSDS 3.0 field, so it is an attribute of its own
(`referral-hub capacity status`). `assured_date` is when a person last confirmed the entry.
Ids of languages, attributes and terms are name-based UUIDs (uuid5), stable between exports.
No client or referral data is in here: only what the directory shows every partner.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.conf.locale import LANG_INFO

from agencies.models import Agency, AgencyKind, Program
from agencies.selectors import program_search
from agencies.taxonomy import OPEN_ELIGIBILITY, PublicTerm, service_type_info

HSDS_VERSION = "3.0"
OUR_TYPES = "referral-hub service types"
OUR_CAPACITY = "referral-hub capacity status"
_NS = uuid.UUID("5d0c8e6a-6f43-4c55-9a43-7f3b2f1c9e10")  # fixed namespace for the uuid5 ids


def _id(*parts: object) -> str:
    return str(uuid.uuid5(_NS, ":".join(str(p) for p in parts)))


def _term(taxonomy: str, code: str, name: str, description: str) -> dict[str, Any]:
    return {
        "id": _id("term", taxonomy, code),
        "code": code,
        "name": name,
        "description": description,
        "taxonomy": taxonomy,
    }


def _attribute(program: Program, link_type: str, term: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": _id("attribute", program.id, link_type, term["taxonomy"]),
        "link_id": str(program.id),
        "link_type": link_type,
        "link_entity": "service",
        "value": term["code"],
        "taxonomy_term_id": term["id"],
        "taxonomy_term": term,
    }


def _public(public: PublicTerm) -> dict[str, Any]:
    description = f"{OPEN_ELIGIBILITY} term ({public.match} match)."
    return _term(public.taxonomy, public.code, public.name, description)


def _attributes(program: Program) -> list[dict[str, Any]]:
    info = service_type_info(program.service_type)
    terms = [_term(OUR_TYPES, info.code, info.label, info.description)]
    if info.public is not None:
        terms.append(_public(info.public))
    status = program.capacity_status
    capacity = _term(OUR_CAPACITY, status, status.replace("_", " "), "Capacity as last reported.")
    return [
        *(_attribute(program, "service_type", t) for t in terms),
        _attribute(program, "capacity_status", capacity),
    ]


def _language(program: Program, code: str) -> dict[str, Any]:
    name = LANG_INFO.get(code, LANG_INFO.get(code.split("-")[0], {})).get("name", code)
    return {
        "id": _id("language", program.id, code),
        "service_id": str(program.id),
        "name": name,
        "code": code,
    }


def hsds_organization(agency: Agency) -> dict[str, Any]:
    kind = AgencyKind(agency.kind).label
    vsp = " A victim service provider." if agency.is_victim_service_provider else ""
    return {"id": str(agency.id), "name": agency.name, "description": f"{kind}.{vsp}"}


def hsds_service(program: Program) -> dict[str, Any]:
    """One program as an HSDS 3.0 service (the program's agency must be loaded)."""
    service: dict[str, Any] = {
        "id": str(program.id),
        "organization_id": str(program.agency_id),
        "name": program.name,
        "description": program.description,
        "status": "active",
        "eligibility_description": program.eligibility,
        "last_modified": program.updated_at.isoformat(timespec="milliseconds"),
        "organization": hsds_organization(program.agency),
        "languages": [_language(program, code) for code in program.languages],
        "attributes": _attributes(program),
    }
    if program.assured_at is not None:
        service["assured_date"] = program.assured_at.date().isoformat()
    return service


def hsds_page(programs: list[Program], *, page: int, per_page: int, total: int) -> dict[str, Any]:
    """An HSDS API `Page` of services (`GET /services` in the HSDS 3.0 API reference)."""
    pages = max(1, -(-total // per_page))
    return {
        "total_items": total,
        "total_pages": pages,
        "page_number": page,
        "size": len(programs),
        "first_page": page == 1,
        "last_page": page >= pages,
        "empty": total == 0,
        "contents": [hsds_service(p) for p in programs],
    }


def hsds_directory_page(*, page: int, per_page: int) -> dict[str, Any]:
    """Page `page` of the whole directory (by program name): two queries, a count and a page."""
    programs = program_search()
    total = programs.count()
    rows = list(programs[(page - 1) * per_page : page * per_page])
    return hsds_page(rows, page=page, per_page=per_page, total=total)
