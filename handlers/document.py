"""The decision document the employee is shown and signs: canonical content and its SHA-256.

Each revision makes a new version; the signer's click is bound to the hash they saw.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from handlers.assessment import assess
from handlers.context import Ctx
from storage.models import Case


def canonical(content: dict[str, Any]) -> bytes:
    return json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                      default=str).encode()


async def issue_document(ctx: Ctx, case: Case) -> dict[str, Any]:
    """Draw up the next version of the document from the case as it stands, and record its hash."""
    employee = await ctx.uow.people.get(case.employee_id)
    verdict = assess(case, ctx.deps, ctx.tenant.city)
    settlement = verdict.assessment.settlement if verdict.assessment else None
    version = int((case.data.get("document") or {}).get("version", 0)) + 1
    content = {
        "case": case.ref,
        "version": version,
        "employee": {"name": employee.name, "employee_no": employee.employee_no} if employee else {},
        "ground": case.ground,
        "reasons": case.note,
        "facts": case.facts,
        "settlement": {
            "n": settlement.n, "base": settlement.base, "compensation": settlement.compensation,
            "pay_in_lieu": settlement.pay_in_lieu, "total": settlement.total,
        } if settlement else None,
        "revision_note": case.data.get("revision_note", ""),
    }
    document = {
        "version": version,
        "sha256": hashlib.sha256(canonical(content)).hexdigest(),
        "issued_at": ctx.now.isoformat(),
        "content": json.loads(canonical(content)),
    }
    case.data = {**case.data, "document": document}
    return document
