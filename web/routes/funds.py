"""The funds pages: the balance and every entry for members; recording entries for the treasurer."""

from __future__ import annotations

from aiohttp import web

from node.accounts.permissions import Permission
from node.appkeys import NODE
from node.funds import ledger
from node.funds.books import EntryView
from node.funds.ledger import KIND_TITLES, Draft, Kind
from node.funds.receipts import MAX_RECEIPT_BYTES, TYPES, Receipt, check_receipt
from node.funds.units import day_of, parse_day, parse_pounds
from node.wording import Term
from protocol.federation import MAX_BODY_BYTES
from web.flash import done
from web.forms import path_number, refusals_on, texts
from web.i18n import _
from web.keys import MEMBER
from web.rendering import render
from web.routes import Route

FIELDS = ("kind", "amount", "date", "category", "note", "corrects", "against")


def _row(view: EntryView) -> dict[str, object]:
    e = view.entry
    remarks = []
    if e.corrects is not None:
        remarks.append(
            f"cancels entry {e.corrects}" if e.kind is Kind.VOID else f"corrects entry {e.corrects}"
        )
    if view.corrected_by is not None:
        remarks.append(f"replaced by entry {view.corrected_by}")
    if e.against is not None:
        remarks.append(f"paid from commitment {e.against}")
    return {
        "id": e.id,
        "date": e.day.isoformat(),
        "kind": e.kind.value,
        "kind_title": KIND_TITLES[e.kind],
        "category": e.category,
        "note": e.note,
        "amount": e.signed if e.kind in (Kind.INCOME, Kind.SPENDING) else e.amount,
        "in_force": view.corrected_by is None and e.kind is not Kind.VOID,
        "recorded_by": view.recorded_by,
        "receipt": view.receipt_type is not None,
        "remarks": remarks,
        "outstanding": view.outstanding if view.corrected_by is None else None,
        "round_id": view.round_id,
    }


async def _page(
    request: web.Request, *, errors: list[str] | None = None, status: int = 200
) -> web.Response:
    node = request.config_dict[NODE]
    # A refused entry is shown again as it was filled in.
    values = texts(await request.post(), FIELDS) if errors else {}
    summary, entries = await node.funds.ledger()
    today = day_of(node.clock()).isoformat()
    return render(
        request,
        "funds.html",
        {
            "summary": summary,
            "entries": [_row(v) for v in entries],
            "categories": await node.funds.categories(),
            "kinds": [(k.value, KIND_TITLES[k]) for k in Kind],
            "values": {"kind": "income", "date": today, **values},
            "today": today,
            "errors": errors or [],
            "max_receipt_mib": MAX_RECEIPT_BYTES // (1024 * 1024),
        },
        status=status,
    )


async def funds(request: web.Request) -> web.Response:
    return await _page(request)


def _receipt(value: object) -> Receipt | None:
    if not isinstance(value, web.FileField) or not value.filename:
        return None
    data = value.file.read(MAX_RECEIPT_BYTES + 1)
    if not data:
        return None  # the file field was left empty
    return check_receipt(data, value.filename, value.content_type or "")


@refusals_on(_page)
async def record_entry(request: web.Request) -> web.Response:
    node = request.config_dict[NODE]
    form = await request.post()
    values = texts(form, FIELDS)
    kind = ledger.parse_kind(values["kind"])
    amount = 0 if kind is Kind.VOID else parse_pounds(values["amount"])
    draft = Draft(
        kind=kind,
        amount=amount,
        day=parse_day(values["date"]),
        category=values["category"],
        note=values["note"],
        corrects=ledger.parse_entry_number(values["corrects"], Term("The entry it corrects")),
        against=ledger.parse_entry_number(
            values["against"], Term("The commitment it was paid from")
        ),
    )
    receipt = _receipt(form.get("receipt"))
    entry_id = await node.funds.record(request[MEMBER], draft, receipt)
    raise done(request, "/funds", _("Entry %(entry)s recorded.") % {"entry": entry_id})


async def receipt(request: web.Request) -> web.StreamResponse:
    node = request.config_dict[NODE]
    entry_id = path_number(request, "entry_id")
    found = await node.funds.receipt(entry_id)
    if found is None:
        raise web.HTTPNotFound()
    path, media_type = found
    name = f"receipt-{entry_id}{TYPES[media_type][1]}"
    return web.FileResponse(  # from disk, a piece at a time
        path,
        headers={
            "Content-Type": media_type,
            "Content-Disposition": f'attachment; filename="{name}"',
            "Cache-Control": "private, no-store",
            # Never run as a page, whatever the file holds.
            "Content-Security-Policy": "default-src 'none'; sandbox",
        },
    )


ROUTES = [
    Route("GET", "/funds", funds, Permission.MEMBER),
    Route("POST", "/funds/entries", record_entry, Permission.MANAGE_FUNDS, max_body=MAX_BODY_BYTES),
    Route("GET", "/funds/entries/{entry_id}/receipt", receipt, Permission.MEMBER),
]
